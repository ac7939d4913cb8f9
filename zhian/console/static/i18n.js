// Console strings in Simplified Chinese (default) and English; the choice is remembered.
const STRINGS = {
  zh: {
    title: "智安 · 监控台", login_title: "智安监控台登录", username: "用户名", password: "密码", login: "登录",
    login_failed: "用户名或密码错误", logout: "退出", lang_toggle: "English",
    nav_alerts: "告警", nav_devices: "设备", nav_timeline: "时间线",
    sound_on: "启用声音", sound_off: "声音已开",
    sev_critical: "紧急", sev_major: "重要", sev_minor: "一般",
    st_raised: "新告警", st_updated: "更新", st_acknowledged: "已确认", st_cleared: "已解除", st_escalated: "已升级",
    col_time: "时间", col_severity: "级别", col_state: "状态", col_summary: "内容", col_location: "位置",
    col_count: "次数", col_actions: "操作", col_rule: "规则", col_device: "设备", col_type: "类型",
    col_subject: "人员", col_data: "数据", col_name: "名称", col_last_seen: "最后上报", col_rejects: "拒收(按原因)",
    col_zone: "区域", col_heartbeat: "心跳(秒)", col_kind: "种类",
    ack: "确认", clear: "解除", silenced: "已静默", false_positive: "误报", not_false_positive: "取消误报",
    assign: "指派", assignee: "处理人", note: "备注", add_note: "添加备注", back: "返回",
    filter_open: "只看未解除", filter_all: "全部", filter_severity: "全部级别", loud_banner: "有紧急告警未确认！",
    connected: "实时连接", disconnected: "连接中断，正在重连…",
    alert_detail: "告警详情", evidence: "证据", events_behind: "相关事件", history: "告警过程", notes: "备注与操作",
    no_evidence: "无证据文件", trajectory: "抛物轨迹（楼层已标注）", clip: "视频片段",
    dev_online: "在线", dev_offline: "离线", dev_never: "从未上报", unregistered: "未登记设备",
    rejects_total: "拒收总计", refresh: "刷新",
    tl_from: "开始", tl_to: "结束", tl_building: "楼栋", tl_unit: "单元", tl_floor: "楼层", tl_zone: "区域",
    tl_device: "设备", tl_subject: "人员/凭证", tl_rule: "规则", tl_only: "范围", tl_both: "事件和告警",
    tl_events: "仅事件", tl_alerts: "仅告警", search: "查询", export: "导出案卷", tl_audited: "每次查询与导出均记录审计日志",
    tl_rows: "条记录", kind_event: "事件", kind_alert: "告警",
    err_forbidden: "无权限", err: "出错", assigned_to: "处理人", empty: "暂无",
    pending_ack: "确认中…", pending_clear: "解除中…",
    building_n: "{}栋", unit_n: "{}单元", floor_at: "{}层",
    zone_gate: "大门", zone_lobby: "门厅", zone_household: "住户", zone_elevator: "电梯", zone_corridor: "走廊",
    zone_stairwell: "楼梯间", zone_bike_shed: "车棚", zone_facade: "外立面", zone_other: "其他",
    nav_users: "用户", role: "角色", created: "创建日期", add_user: "添加用户", user_added: "已添加用户",
    new_password: "新密码", set_password: "重设密码", password_set: "密码已重设，其会话已结束",
    remove_user: "删除用户", user_removed: "已删除用户",
    role_desk: "监控值班", role_installer: "安装调试", role_police: "社区民警", role_admin: "管理员",
  },
  en: {
    title: "zhian · Security desk", login_title: "zhian console login", username: "User name", password: "Password",
    login: "Log in", login_failed: "Wrong user name or password", logout: "Log out", lang_toggle: "中文",
    nav_alerts: "Alerts", nav_devices: "Devices", nav_timeline: "Timeline",
    sound_on: "Enable sound", sound_off: "Sound on",
    sev_critical: "Critical", sev_major: "Major", sev_minor: "Minor",
    st_raised: "Raised", st_updated: "Updated", st_acknowledged: "Acknowledged", st_cleared: "Cleared",
    st_escalated: "Escalated",
    col_time: "Time", col_severity: "Severity", col_state: "State", col_summary: "Summary", col_location: "Location",
    col_count: "Count", col_actions: "Actions", col_rule: "Rule", col_device: "Device", col_type: "Type",
    col_subject: "Subject", col_data: "Data", col_name: "Name", col_last_seen: "Last seen",
    col_rejects: "Rejects by reason", col_zone: "Zone", col_heartbeat: "Heartbeat (s)", col_kind: "Kind",
    ack: "Acknowledge", clear: "Clear", silenced: "Silenced", false_positive: "False alarm",
    not_false_positive: "Not a false alarm", assign: "Assign", assignee: "Assignee", note: "Note",
    add_note: "Add note", back: "Back", filter_open: "Open only", filter_all: "All", filter_severity: "All severities",
    loud_banner: "Unacknowledged critical alert!", connected: "Live", disconnected: "Disconnected, reconnecting…",
    alert_detail: "Alert", evidence: "Evidence", events_behind: "Events behind it", history: "History",
    notes: "Notes and actions", no_evidence: "No evidence files", trajectory: "Trajectory (floor marked)",
    clip: "Clip", dev_online: "Online", dev_offline: "Offline", dev_never: "Never heard", unregistered: "Unregistered ids",
    rejects_total: "Rejects in total", refresh: "Refresh",
    tl_from: "From", tl_to: "To", tl_building: "Building", tl_unit: "Unit", tl_floor: "Floor", tl_zone: "Zone",
    tl_device: "Device", tl_subject: "Subject/credential", tl_rule: "Rule", tl_only: "Show", tl_both: "Events and alerts",
    tl_events: "Events only", tl_alerts: "Alerts only", search: "Search", export: "Export case package",
    tl_audited: "Every query and export is audited", tl_rows: "rows", kind_event: "event", kind_alert: "alert",
    err_forbidden: "Not permitted", err: "Error", assigned_to: "Assignee", empty: "None",
    pending_ack: "acknowledging…", pending_clear: "clearing…",
    building_n: "Bldg {}", unit_n: "Unit {}", floor_at: "F{}",
    zone_gate: "Gate", zone_lobby: "Lobby", zone_household: "Household", zone_elevator: "Elevator",
    zone_corridor: "Corridor", zone_stairwell: "Stairwell", zone_bike_shed: "Bike shed", zone_facade: "Facade",
    zone_other: "Other",
    nav_users: "Users", role: "Role", created: "Created", add_user: "Add user", user_added: "User added",
    new_password: "New password", set_password: "Set password", password_set: "Password set; their sessions ended",
    remove_user: "Remove user", user_removed: "User removed",
    role_desk: "Security desk", role_installer: "Installer", role_police: "Police liaison", role_admin: "Admin",
  },
};

const KEY = "zhian.lang";

export function lang() {
  const saved = localStorage.getItem(KEY);
  return saved === "en" ? "en" : "zh";
}

export function setLang(value) {
  localStorage.setItem(KEY, value === "en" ? "en" : "zh");
}

export function t(key) {
  const table = STRINGS[lang()];
  return table[key] ?? STRINGS.zh[key] ?? key;
}

// A zone id of devices.yaml (gate, lobby, …) by its name; an id without a name as it is.
export function zoneName(zone) {
  if (!zone) return "";
  const key = `zone_${zone}`;
  const name = t(key);
  return name === key ? zone : name;
}

// "3栋 1单元 12层" / "Bldg 3 Unit 1 F12" from whichever of building, unit and floor are known.
export function placeText(building, unit, floor) {
  const parts = [];
  if (building) parts.push(t("building_n").replace("{}", building));
  if (unit) parts.push(t("unit_n").replace("{}", unit));
  if (floor !== null && floor !== undefined && floor !== "") parts.push(t("floor_at").replace("{}", floor));
  return parts.join(" ");
}

// Fill every [data-i18n] element's text (and [data-i18n-placeholder] placeholders) in `root`.
export function applyI18n(root = document) {
  document.documentElement.lang = lang() === "en" ? "en" : "zh-CN";
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-placeholder]")) el.placeholder = t(el.dataset.i18nPlaceholder);
}
