// The window: entry form → steps → success or failure, driven by the join's updates from
// main. On load it asks main for the join's state, so a reloaded (crashed) window shows the
// running or finished join again.
import type { DeviceFacts, JoinUpdate, KioskState, RotationUpdate, UiJoinRequest } from '../agent/contract/index.js';
import { PHASE_TITLES, PHASES } from '../agent/contract/phases.js';
import { printable } from '../agent/contract/text.js';
import { bridge } from './bridge.js';
import { renderDevice } from './device-panel.js';
import { announce, byId } from './dom.js';
import { setupEntryForm } from './entry-form.js';
import { applyEvent, emptyView, failureOf, viewFromSnapshot, type JoinView } from './join-view.js';
import { renderKiosk } from './kiosk-panel.js';
import { copyText, renderFailure, renderSuccess } from './outcome-view.js';
import { runChecks } from './doctor-view.js';
import { ProgressView } from './progress-view.js';
import { scrub } from './scrub.js';

const api = bridge();
const progress = new ProgressView();
let view: JoinView = emptyView();
let device: DeviceFacts | undefined;
let kiosk: KioskState | undefined;
let rotation: RotationUpdate | null = null;
let diagnostics = '';
let editing = true;

const form = setupEntryForm(api, (request) => void start(request));
const secrets = (): string[] => form.secrets();

function render(focusScreen: boolean): void {
  const status = view.status;
  const inKiosk = kiosk !== undefined && kiosk.phase !== 'off';
  const showForm = !inKiosk && (status === 'idle' || editing);
  byId('entry').hidden = !showForm;
  byId('progress').hidden = showForm || status === 'idle';
  byId('success').hidden = showForm || status !== 'succeeded' || !view.result?.ok;
  byId('failure').hidden = showForm || !(status === 'failed' || status === 'cancelled');
  if (!showForm && status !== 'idle') {
    byId('progress-title').textContent = view.request?.endpoint ? `Joining ${printable(view.request.endpoint)}` : 'Joining';
    progress.render(view, secrets());
  }
  if (!byId('success').hidden) renderSuccess(view, rotation);
  if (!byId('failure').hidden) diagnostics = renderFailure(view, device, secrets());
  if (focusScreen) {
    const target = !byId('failure').hidden ? 'failure-title' : !byId('success').hidden ? 'success-title' : showForm ? 'entry-title' : 'progress-title';
    byId(target).focus();
  }
}

async function start(request: UiJoinRequest): Promise<void> {
  const status = byId('form-status');
  status.textContent = 'Starting…';
  try {
    const snap = await api.join.start(request);
    if (snap.joinId > view.joinId) view = viewFromSnapshot(snap);
    else if (snap.joinId === view.joinId && snap.request) view = { ...view, request: snap.request };
    editing = false;
    render(true);
  } catch (err) {
    status.textContent = scrub(`The join could not start: ${(err as Error).message}`, secrets());
  }
}

function onUpdate(update: JoinUpdate): void {
  if (update.joinId < view.joinId) return;
  const newJoin = update.joinId > view.joinId;
  if (newJoin) {
    progress.reset();
    byId('doctor').hidden = true;
    view = emptyView(update.joinId, update.status);
    editing = false;
    // What the join was started with (a kiosk retry, or our own start racing its answer).
    void api.join.getState().then((snap) => {
      if (snap.joinId === view.joinId && snap.request && !view.request) {
        view = { ...view, request: snap.request };
        render(false);
      }
    });
  }
  const before = view.status;
  view = { ...view, status: update.status };
  if (update.event) {
    view = applyEvent(view, update.event);
    announceEvent(update);
  }
  if (before !== view.status && view.status === 'cancelled') announce('The join was cancelled.');
  render(newJoin || (before !== view.status && view.status !== 'running'));
}

function announceEvent({ event }: JoinUpdate): void {
  if (!event) return;
  if (event.type === 'started') announce(`Step ${PHASES.indexOf(event.phase) + 1} of ${PHASES.length}: ${PHASE_TITLES[event.phase]}.`);
  else if (event.type === 'failed') announce(`${PHASE_TITLES[event.phase]} failed.`);
  else if (event.type === 'result') {
    if (event.result.ok) announce(`Joined the cluster as node ${event.result.nodeName}.`);
    else announce(scrub(`The join failed: ${failureOf(view)?.error.message ?? event.result.error.message}`, secrets()));
  }
}

function wire(): void {
  byId('cancel').addEventListener('click', () => {
    api.join.cancel().catch((err: unknown) => announce(scrub(`Could not cancel: ${(err as Error).message}`, secrets())));
  });
  const again = (): void => {
    editing = true;
    progress.reset();
    render(true);
  };
  byId('retry').addEventListener('click', () => {
    byId('doctor').hidden = true;
    again();
  });
  // The form's request (with the token); a kiosk's join came from its file: its endpoint and pins.
  const checkRequest = (): UiJoinRequest => {
    const typed = form.request();
    if (typed.endpoint) return typed;
    const shown = view.request ?? {};
    return { ...(shown.endpoint ? { endpoint: shown.endpoint } : {}), ...(shown.caCertHashes ? { caCertHashes: shown.caCertHashes } : {}) };
  };
  byId('run-checks').addEventListener('click', () => void runChecks(api, checkRequest(), secrets()));
  byId('again-ok').addEventListener('click', again);
  byId('copy-diagnostics').addEventListener('click', () => {
    void copyText(diagnostics).then((ok) => {
      byId('copy-status').textContent = ok ? 'Diagnostics copied (no token included).' : 'Copy failed: open "Diagnostics" below and copy the text.';
    });
  });
  api.join.listenUpdate(onUpdate);
  api.credential.listenRotation((update) => {
    rotation = update;
    render(false);
  });
  api.kiosk.listenState((state) => {
    const previous = kiosk;
    kiosk = state;
    renderKiosk(state, previous);
    render(false);
  });
}

async function load(): Promise<void> {
  wire();
  const [snap, kioskState, rotationState] = await Promise.all([api.join.getState(), api.kiosk.getState(), api.credential.getRotation()]);
  kiosk = kioskState;
  rotation = rotationState;
  renderKiosk(kioskState, undefined);
  if (snap.joinId >= view.joinId && snap.status !== 'idle') {
    view = viewFromSnapshot(snap);
    editing = false;
  }
  render(false);
  api.doctor.proxy().then(form.setProxyInUse, () => form.setProxyInUse({ problem: 'could not read the proxy settings' }));
  try {
    device = await api.device.getFacts();
    renderDevice(device);
    form.setNodeNameHint(device.hostname);
  } catch (err) {
    renderDevice(undefined, `could not read the device facts: ${(err as Error).message}`);
  }
}

void load();
