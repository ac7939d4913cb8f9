// The alarm: a WebAudio beep loop while any critical alert waits for acknowledgement.
let ctx = null;
let timer = null;

function audio() {
  if (ctx === null) {
    const Ctor = window.AudioContext || window.webkitAudioContext;
    if (!Ctor) return null;
    ctx = new Ctor();
  }
  return ctx;
}

function beep() {
  const a = audio();
  if (a === null || a.state !== "running") return;
  const osc = a.createOscillator();
  const gain = a.createGain();
  osc.type = "square";
  osc.frequency.value = 880;
  gain.gain.setValueAtTime(0.15, a.currentTime);
  gain.gain.setValueAtTime(0, a.currentTime + 0.25);
  osc.connect(gain).connect(a.destination);
  osc.start();
  osc.stop(a.currentTime + 0.3);
}

// Browsers start audio only after a click on the page: true when sound can play now.
export function soundReady() {
  const a = audio();
  return a !== null && a.state === "running";
}

export async function unlockSound() {
  const a = audio();
  if (a !== null && a.state !== "running") await a.resume();
  return soundReady();
}

export function alarm(on) {
  document.body.classList.toggle("alarm", on);
  document.getElementById("alarm-banner").hidden = !on;
  if (on && timer === null) {
    beep();
    timer = setInterval(beep, 700);
  } else if (!on && timer !== null) {
    clearInterval(timer);
    timer = null;
  }
  document.body.dataset.alarm = on ? "on" : "off";
}
