// The entry form: paste a whole join line (parsed by the agent, through main) or fill the
// fields. Validation as you type with the contract's validators; the join button stays
// disabled, and nothing is sent, until the request is valid.
import type { ProxyInUse, RendererApi, StoreKind, UiJoinRequest } from '../agent/contract/index.js';
import { maskProxyUrl, TOKEN_SHAPE } from '../agent/contract/mask.js';
import { printable } from '../agent/contract/text.js';
import { joinRequestProblems, proxyProblem, type FieldProblem } from '../agent/contract/validate.js';
import { announce, byId } from './dom.js';
import { scrub } from './scrub.js';

type FieldId = 'endpoint' | 'token' | 'pins' | 'node-name';
const FIELD_OF: Record<FieldId, FieldProblem['field']> = { endpoint: 'endpoint', token: 'token', pins: 'caCertHashes', 'node-name': 'nodeName' };
const LABEL: Record<FieldId, string> = { endpoint: 'endpoint', token: 'token', pins: 'CA cert hash', 'node-name': 'node name' };

export interface EntryForm {
  /** The token(s) typed so far: kept out of every text the page shows. */
  secrets(): string[];
  fill(req: UiJoinRequest): void;
  setNodeNameHint(hostname: string): void;
  /** The request as the form holds it (also after a join started: "Run checks" uses it). */
  request(): UiJoinRequest;
  /** Shows which proxy a join will use: the pasted line's --proxy, else the environment's. */
  setProxyInUse(info: ProxyInUse): void;
  focus(): void;
}

export function setupEntryForm(api: RendererApi, onSubmit: (req: UiJoinRequest) => void): EntryForm {
  const input = (id: string): HTMLInputElement => byId<HTMLInputElement>(id);
  const endpoint = input('endpoint');
  const token = input('token');
  const pins = byId<HTMLTextAreaElement>('pins');
  const nodeName = input('node-name');
  const store = byId<HTMLSelectElement>('store');
  const unsafe = input('unsafe');
  const reveal = byId<HTMLButtonElement>('token-reveal');
  const joinButton = byId<HTMLButtonElement>('join');
  const paste = byId<HTMLTextAreaElement>('paste');
  const pasteStatus = byId('paste-status');
  const elements: Record<FieldId, HTMLInputElement | HTMLTextAreaElement> = { endpoint, token, pins, 'node-name': nodeName };
  const touched = new Set<FieldId>();
  let tlsBootstrapToken: string | undefined;
  let proxy: string | undefined;
  let envProxy: ProxyInUse = {};
  const showProxy = (): void => {
    const problem = proxy !== undefined ? proxyProblem(proxy) : undefined;
    byId('proxy-line').className = problem || envProxy.problem ? 'error' : 'muted';
    byId('proxy-line').textContent = printable(
      problem
        ? `Proxy: ${problem}`
        : proxy
          ? `Proxy: ${maskProxyUrl(proxy)} (from the pasted command; NO_PROXY applies)`
          : envProxy.problem
            ? `Proxy: ${envProxy.problem}`
            : envProxy.proxy
              ? `Proxy: ${envProxy.proxy} (${envProxy.source ?? 'environment'}${envProxy.noProxy ? `; NO_PROXY: ${envProxy.noProxy}` : ''})`
              : 'Proxy: none (direct connection)',
    );
  };

  const secrets = (): string[] => [token.value, tlsBootstrapToken ?? ''].filter((s) => s.trim() !== '');

  const values = (): UiJoinRequest => {
    const req: UiJoinRequest = {
      endpoint: endpoint.value.trim(),
      token: token.value.trim(),
      caCertHashes: pins.value
        .split(/[\s,]+/)
        .map((p) => p.trim())
        .filter(Boolean),
      store: store.value as StoreKind,
    };
    if (nodeName.value.trim() !== '') req.nodeName = nodeName.value.trim();
    if (unsafe.checked) req.unsafeSkipCaVerification = true;
    if (tlsBootstrapToken !== undefined) req.tlsBootstrapToken = tlsBootstrapToken;
    if (proxy !== undefined) req.proxy = proxy;
    return req;
  };

  const validate = (): FieldProblem[] => {
    const problems = joinRequestProblems(values());
    for (const id of Object.keys(elements) as FieldId[]) {
      const mine = problems.filter((p) => p.field === FIELD_OF[id]).map((p) => scrub(p.message, secrets()));
      const show = touched.has(id) && mine.length > 0;
      byId(`${id}-error`).textContent = show ? printable(mine.join('\n'), true) : '';
      elements[id].setAttribute('aria-invalid', String(show));
    }
    joinButton.disabled = problems.length > 0;
    const missing = (Object.keys(FIELD_OF) as FieldId[]).filter((id) => problems.some((p) => p.field === FIELD_OF[id])).map((id) => LABEL[id]);
    byId('form-status').textContent = missing.length > 0 ? `To join, fix or fill in: ${missing.join(', ')}.` : 'Ready to join.';
    return problems;
  };

  for (const id of Object.keys(elements) as FieldId[]) {
    const el = elements[id];
    el.addEventListener('input', () => {
      if (el.value !== '') touched.add(id);
      validate();
    });
    el.addEventListener('blur', () => {
      touched.add(id);
      validate();
    });
  }
  unsafe.addEventListener('change', validate);
  store.addEventListener('change', validate);

  const setRevealed = (on: boolean): void => {
    token.type = on ? 'text' : 'password';
    reveal.setAttribute('aria-pressed', String(on));
    reveal.textContent = on ? 'Hide' : 'Show';
    reveal.setAttribute('aria-label', on ? 'Hide the token' : 'Show the token');
  };
  setRevealed(false);
  reveal.addEventListener('click', () => setRevealed(token.type === 'password'));

  const fill = (req: UiJoinRequest): void => {
    endpoint.value = req.endpoint ?? '';
    token.value = req.token ?? '';
    tlsBootstrapToken = req.tlsBootstrapToken;
    proxy = req.proxy;
    showProxy();
    pins.value = (req.caCertHashes ?? []).join('\n');
    nodeName.value = req.nodeName ?? '';
    store.value = req.store ?? 'auto';
    unsafe.checked = req.unsafeSkipCaVerification === true;
    for (const id of Object.keys(elements) as FieldId[]) if (elements[id].value !== '') touched.add(id);
    setRevealed(false);
    validate();
  };

  const usePasted = async (): Promise<void> => {
    const line = paste.value.trim();
    if (line === '') return;
    const lineSecrets = line.match(TOKEN_SHAPE) ?? [];
    try {
      const parsed = await api.command.parse(line);
      if (parsed.ok) {
        paste.value = '';
        fill(parsed.request);
        const note = ['Filled in from the pasted command.', ...parsed.warnings].map((w) => scrub(w, [...secrets(), ...lineSecrets])).join(' ');
        pasteStatus.textContent = note;
        pasteStatus.className = 'status';
        announce(note);
        (joinButton.disabled ? firstInvalid() : joinButton).focus();
      } else {
        // Keep the line for editing unless it holds a token: a secret never stays on screen.
        if (lineSecrets.length > 0) paste.value = '';
        pasteStatus.textContent = `The pasted command could not be used: ${scrub(parsed.error, lineSecrets)}`;
        pasteStatus.className = 'status error';
      }
    } catch (err) {
      pasteStatus.textContent = scrub(`The pasted command could not be read: ${(err as Error).message}`, lineSecrets);
      pasteStatus.className = 'status error';
    }
  };
  paste.addEventListener('paste', () => window.setTimeout(() => void usePasted(), 0));
  paste.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) {
      e.preventDefault();
      void usePasted();
    }
  });
  byId('paste-use').addEventListener('click', () => void usePasted());

  const firstInvalid = (): HTMLElement => {
    const problems = validate();
    const id = (Object.keys(FIELD_OF) as FieldId[]).find((f) => problems.some((p) => p.field === FIELD_OF[f]));
    return id ? elements[id] : joinButton;
  };

  byId<HTMLFormElement>('join-form').addEventListener('submit', (e) => {
    e.preventDefault();
    for (const id of Object.keys(elements) as FieldId[]) touched.add(id);
    if (validate().length > 0) {
      firstInvalid().focus();
      return;
    }
    setRevealed(false);
    onSubmit(values());
  });

  validate();
  return {
    secrets,
    fill,
    setNodeNameHint: (hostname) => (nodeName.placeholder = `${hostname.toLowerCase()} (this machine's host name)`),
    focus: () => byId('entry-title').focus(),
    request: values,
    setProxyInUse: (info) => {
      envProxy = info;
      showProxy();
    },
  };
}
