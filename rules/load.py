"""Rule files from disk: the shipped pack plus a community directory, `$param` substitution,
overrides, validation with file/line/key problems, and compilation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from ingest.errors import ConfigProblem, RegistryError
from ingest.registry import Registry, dotted, line_of
from rules.compile import CompiledRule
from rules.silence import SILENCES_FILE, Silence, SilencesFile
from rules.spec import OverrideSpec, RuleSpec

PACK_DIR = Path(__file__).parent / "pack"
TESTS_SUFFIX = ".tests.yaml"
_TYPE_MISMATCH = frozenset({"string_type", "model_type", "dict_type", "int_type", "float_type",
                            "bool_type", "list_type", "model_attributes_type"})


class RuleDoc:
    """One rule file as parsed: its ruamel tree (for lines) and where it came from."""

    def __init__(self, path: Path, tree: CommentedMap) -> None:
        self.path = path
        self.tree = tree
        # loc -> (file, line, key) of the override that supplied a substituted value
        self.origins: dict[tuple[Any, ...], tuple[str, int | None, str]] = {}


def rule_files(directory: Path) -> list[Path]:
    """The rule files of a directory (tests files, silences and subdirectories excluded)."""
    return sorted(p for p in directory.glob("*.yaml")
                  if not p.name.endswith(TESTS_SUFFIX) and p.name != SILENCES_FILE)


def load_silences(rules_dir: Path | None, problems: list[ConfigProblem]) -> list[Silence]:
    """The silences of `rules_dir/silences.yaml`, if there is one."""
    path = Path(rules_dir) / SILENCES_FILE if rules_dir is not None else None
    if path is None or not path.is_file():
        return []
    tree = read_yaml(path, problems)
    if tree is None:
        return []
    try:
        return list(SilencesFile.model_validate(plain(tree)).silences)
    except ValidationError as exc:
        problems.extend(problems_of(exc, tree, str(path)))
        return []


def read_yaml(path: Path, problems: list[ConfigProblem]) -> Any:
    """A ruamel round-trip tree (keeps line numbers), or None with a problem noted."""
    try:
        text = path.read_text(encoding="utf-8")
        return YAML(typ="rt").load(text)
    except OSError as exc:
        problems.append(ConfigProblem(str(path), None, "-", f"cannot read: {exc.strerror}"))
    except UnicodeDecodeError:
        problems.append(ConfigProblem(str(path), None, "-", "not UTF-8 text"))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problems.append(ConfigProblem(str(path), mark.line + 1 if mark else None, "-",
                                      f"not valid YAML: {exc.problem}"))
    return None


def load_docs(rules_dir: Path | None, problems: list[ConfigProblem]) -> dict[str, RuleDoc]:
    """Shipped rules by name, replaced or tuned by the files of `rules_dir`."""
    docs: dict[str, RuleDoc] = {}
    _collect(PACK_DIR, docs, problems, allow_override=False)
    if rules_dir is not None and Path(rules_dir).resolve() != PACK_DIR.resolve():
        if not Path(rules_dir).is_dir():
            problems.append(ConfigProblem(str(rules_dir), None, "-", "not a directory"))
        else:
            _collect(Path(rules_dir), docs, problems, allow_override=True)
    return docs


def _collect(directory: Path, docs: dict[str, RuleDoc], problems: list[ConfigProblem],
             allow_override: bool) -> None:
    seen: dict[str, Path] = {}
    for path in rule_files(directory):
        tree = read_yaml(path, problems)
        if tree is None:
            continue
        if not isinstance(tree, CommentedMap) or ("rule" in tree) == ("override" in tree):
            problems.append(ConfigProblem(str(path), 1, "-",
                                          "a rule file is a mapping with either rule: or override:"))
            continue
        name = str(tree.get("rule") or tree.get("override"))
        if name in seen:
            problems.append(ConfigProblem(str(path), 1, "rule",
                                          f"rule {name!r} is also defined in {seen[name].name}"))
            continue
        seen[name] = path
        if "rule" in tree:
            docs[name] = RuleDoc(path, tree)
        elif not allow_override:
            problems.append(ConfigProblem(str(path), 1, "override", "the pack holds whole rules"))
        else:
            _apply_override(path, tree, docs, problems)


def _apply_override(path: Path, tree: CommentedMap, docs: dict[str, RuleDoc],
                    problems: list[ConfigProblem]) -> None:
    try:
        OverrideSpec.model_validate(plain(tree))
    except ValidationError as exc:
        problems.extend(problems_of(exc, tree, str(path)))
    name = str(tree.get("override"))
    base = docs.get(name)
    if base is None:
        problems.append(ConfigProblem(str(path), line_of(tree, ("override",)), "override",
                                      f"no rule {name!r} to override"))
        return
    for field in ("enabled", "severity"):
        if field in tree:
            base.tree[field] = tree[field]
            base.origins[(field,)] = (str(path), line_of(tree, (field,)), field)
    params = base.tree.get("params")
    for param, value in (tree.get("params") or {}).items():
        where = (str(path), line_of(tree, ("params", param)), f"params.{param}")
        if not isinstance(params, dict) or param not in params:
            problems.append(ConfigProblem(*where, f"rule {name!r} has no such parameter"))
            continue
        params[param] = value
        base.origins[("params", param)] = where


def _substitute(doc: RuleDoc, problems: list[ConfigProblem]) -> None:
    """Replace every `$name` scalar with the rule's parameter of that name."""
    params = doc.tree.get("params") or {}

    def walk(node: Any, loc: tuple[Any, ...]) -> None:
        items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
        for k, v in list(items):
            here = (*loc, k)
            if isinstance(v, str) and v.startswith("$") and len(v) > 1:
                name = v[1:]
                if name not in params:
                    problems.append(ConfigProblem(str(doc.path), line_of(doc.tree, here),
                                                  dotted(here), f"unknown parameter {v!r}"))
                    continue
                node[k] = params[name]
                # a bad value is reported where it was set: the params entry (or the override)
                doc.origins[here] = doc.origins.get(("params", name)) or (
                    str(doc.path), line_of(doc.tree, ("params", name)), f"params.{name}")
            elif isinstance(v, dict | list):
                walk(v, here)

    top = {k: v for k, v in doc.tree.items() if k != "params"}
    for key, value in top.items():
        if isinstance(value, dict | list):
            walk(value, (key,))


def plain(node: Any) -> Any:
    """ruamel's commented containers and scalars as plain Python values (pydantic wants those)."""
    if isinstance(node, dict):
        return {str(k): plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    # ruamel's ScalarFloat and friends subclass the builtins; checks downstream want exact types
    for kind in (bool, int, float, str):
        if isinstance(node, kind):
            return kind(node)
    return node


def _doc_loc(tree: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """The part of a pydantic location that exists in the document (drops union branch tags)."""
    node, out = tree, []
    for part in loc:
        if isinstance(node, CommentedMap | dict) and part in node:
            node = node[part]
        elif isinstance(node, CommentedSeq | list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            break
        out.append(part)
    return tuple(out)


def problems_of(exc: ValidationError, tree: Any, filename: str,
              origins: dict[tuple[Any, ...], tuple[str, int | None, str]] | None = None) -> list[ConfigProblem]:
    """pydantic errors as file/line/key problems; one per location, union noise removed."""
    by_loc: dict[tuple[Any, ...], list[Any]] = {}
    for err in exc.errors():
        by_loc.setdefault(_doc_loc(tree, tuple(err["loc"])), []).append(err)
    out: list[ConfigProblem] = []
    for loc, errs in by_loc.items():
        real = [e for e in errs if e["type"] not in _TYPE_MISMATCH] or errs[:1]
        seen: set[str] = set()
        for err in real:
            msg = _message(err)
            if msg in seen:
                continue
            seen.add(msg)
            origin = (origins or {}).get(loc)
            if origin is not None:
                out.append(ConfigProblem(origin[0], origin[1], origin[2], msg))
            else:
                out.append(ConfigProblem(filename, line_of(tree, loc), dotted(loc), msg))
    return out


def _message(err: Any) -> str:
    if err["type"] == "extra_forbidden":
        return "unknown key"
    if err["type"] == "missing":
        return "required key is missing"
    return str(err["msg"]).removeprefix("Value error, ")


def compile_doc(doc: RuleDoc, registry: Registry, problems: list[ConfigProblem],
                silences: list[Silence] | None = None) -> CompiledRule | None:
    """Validate and compile one rule document; None (with problems noted) when invalid."""
    failed: list[ConfigProblem] = []
    _substitute(doc, failed)
    problems.extend(failed)
    try:
        spec = RuleSpec.model_validate(plain(doc.tree))
    except ValidationError as exc:
        # an unknown `$name` was reported where it is used; its knock-on errors would only repeat it
        known = {(p.line, p.key) for p in failed}
        problems.extend(p for p in problems_of(exc, doc.tree, str(doc.path), doc.origins)
                        if not any(p.line == line and p.key.startswith(key) for line, key in known))
        return None
    if failed:
        return None
    if not spec.enabled:
        return None
    try:
        return CompiledRule(spec, registry, str(doc.path), silences)
    except (ValueError, KeyError) as exc:
        problems.append(ConfigProblem(str(doc.path), line_of(doc.tree, ("raise",)), "raise", str(exc)))
        return None


def load_rule_set(registry: Registry, rules_dir: Path | None = None) -> list[CompiledRule]:
    """The enabled rules, compiled; raises RegistryError listing every problem."""
    problems: list[ConfigProblem] = []
    docs = load_docs(rules_dir, problems)
    silences = load_silences(rules_dir, problems)
    rules = [r for doc in docs.values() if (r := compile_doc(doc, registry, problems, silences)) is not None]
    if problems:
        unique = {str(p): p for p in problems}.values()
        raise RegistryError(sorted(unique, key=lambda p: (p.file, p.line or 0, p.key)))
    return sorted(rules, key=lambda r: r.name)
