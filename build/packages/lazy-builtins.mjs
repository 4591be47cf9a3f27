// An esbuild plugin for the startup snapshot's script (build/packages/package.mjs). Node 24
// cannot put node:http, node:https or node:tls in a user snapshot (`node --build-snapshot`
// aborts: http's parser binding is a global handle V8 cannot serialize, "global handle not
// serialized ... HTTPParser"; tls has a native function the snapshot does not know, "Unknown
// external reference"). So our modules' imports of them get stand-ins that require the real
// module on first use, at run time. https.Agent is a class our TrustAgent extends at module
// level: the stand-in class takes the real one's place in the prototype chain when the first
// agent is made, so instances are real https.Agents.
const stand = {
  https: `let m; const real = () => (m ??= require('node:https'));
export class Agent {
  constructor(...args) {
    const A = real().Agent;
    Object.setPrototypeOf(Agent.prototype, A.prototype);
    Object.setPrototypeOf(Agent, A);
    return Reflect.construct(A, args, new.target);
  }
}
export default new Proxy({}, { get: (_, k) => (k === 'Agent' ? Agent : real()[k]) });`,
  tls: `let m; const real = () => (m ??= require('node:tls'));
export default new Proxy({}, { get: (_, k) => real()[k] });`,
  http: `let m; const real = () => (m ??= require('node:http'));
export const createServer = (...args) => real().createServer(...args);
export default new Proxy({}, { get: (_, k) => real()[k] });`,
};

export const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^node:(https?|tls)$/ }, (a) =>
      a.kind === 'import-statement' && /[\\/]agent[\\/]/.test(a.importer) ? { path: a.path.slice('node:'.length), namespace: 'lazy-builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (a) => ({ contents: stand[a.path], loader: 'js' }));
  },
};
