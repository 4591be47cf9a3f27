import type https from 'node:https';
import type {
  CoreV1Api,
  RbacAuthorizationV1Api,
  AuthenticationV1Api,
  CertificatesV1Api,
  V1ClusterRoleBinding,
  V1ConfigMap,
  V1Role,
  V1RoleBinding,
  V1Secret,
} from '@kubernetes/client-node';
import type { Identity } from '../contract/index.js';
import { KubejoinError } from '../errors.js';
import { TOKEN_SECRET_TYPE } from '../protocol/token.js';
import { loadAdminKubeconfig, loadClientNode, type AdminTarget, type KubeconfigFlags } from './admin-kubeconfig.js';
import { apiFailureOf, describeApiError, type ApiOp } from './rbac-errors.js';
import { bounded } from './request-timeout.js';
import { boundedWatch, listed, type Listed, type WatchArgs } from './watch.js';
import { TOKEN_NAMESPACE } from './token-secret.js';

// The few API calls the admin commands make, each named for what it does and each turning a
// failure into a sentence (403s name verb, resource, namespace and identity).

const RBAC = 'rbac.authorization.k8s.io';

export type DeleteOutcome = 'deleted' | 'not-found' | 'changed';

export class AdminClient {
  private identity: Promise<string | undefined> | undefined;

  private constructor(
    readonly target: AdminTarget,
    readonly core: CoreV1Api,
    readonly rbac: RbacAuthorizationV1Api,
    private readonly authn: AuthenticationV1Api,
  ) {}

  static async connect(flags: KubeconfigFlags, env: NodeJS.ProcessEnv): Promise<AdminClient> {
    return AdminClient.forTarget(await loadAdminKubeconfig(flags, env));
  }

  static async forTarget(target: AdminTarget): Promise<AdminClient> {
    const k8s = await loadClientNode();
    // makeApiClient's configuration, with an authenticator that also remembers the agent of
    // each request, so a call that outlives --request-timeout can have its sockets destroyed.
    const agents = new Set<https.Agent>();
    const config = k8s.createConfiguration({
      baseServer: new k8s.ServerConfiguration(target.cluster.server, {}),
      authMethods: {
        default: {
          getName: () => 'kubeconfig',
          applySecurityAuthentication: async (context) => {
            await target.kc.applySecurityAuthentication(context);
            const agent = context.getAgent();
            if (agent) agents.add(agent as https.Agent);
          },
        },
      },
    });
    const client = new AdminClient(target, new k8s.CoreV1Api(config), new k8s.RbacAuthorizationV1Api(config), new k8s.AuthenticationV1Api(config));
    client.agents = agents;
    client.certificates = new k8s.CertificatesV1Api(config);
    return client;
  }

  private agents = new Set<https.Agent>();
  /** For the approver's calls (agent/admin/csr-client.ts), through `call` and `maybe`. */
  certificates!: CertificatesV1Api;

  bounded<T>(op: ApiOp, fn: () => Promise<T>): Promise<T> {
    return bounded(this.target.requestTimeoutMs, this.server, op, this.agents, fn);
  }

  get server(): string {
    return this.target.cluster.server;
  }

  /** Who the server says we are (SelfSubjectReview; every authenticated user may ask). */
  async whoAmI(): Promise<Identity> {
    const review = await this.call({ verb: 'create', resource: 'selfsubjectreviews.authentication.k8s.io' }, () =>
      this.authn.createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } }),
    );
    const info = review.status?.userInfo;
    return { username: info?.username ?? '', groups: info?.groups ?? [] };
  }

  private async identityForErrors(): Promise<string | undefined> {
    this.identity ??= this.whoAmI().then(
      (id) => id.username || undefined,
      () => (this.target.userName ? `kubeconfig user ${JSON.stringify(this.target.userName)}` : undefined),
    );
    return this.identity;
  }

  /** Runs one API call; a failure becomes a KubejoinError describing `op`. */
  async call<T>(op: ApiOp, fn: () => Promise<T>): Promise<T> {
    try {
      return await this.bounded(op, fn);
    } catch (err) {
      throw await this.explain(err, op);
    }
  }

  async explain(err: unknown, op: ApiOp): Promise<KubejoinError> {
    if (err instanceof KubejoinError) return err;
    const failure = apiFailureOf(err);
    const identity = failure.status === 403 && op.resource !== 'selfsubjectreviews.authentication.k8s.io' ? await this.identityForErrors() : undefined;
    return describeApiError(failure, op, this.server, identity);
  }

  /** Like call, but a 404 is `undefined`. */
  async maybe<T>(op: ApiOp, fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await this.bounded(op, fn);
    } catch (err) {
      if (apiFailureOf(err).status === 404) return undefined;
      throw await this.explain(err, op);
    }
  }

  // ---- token Secrets ----

  listTokenSecrets(): Promise<Listed<V1Secret>> {
    return this.call({ verb: 'list', resource: 'secrets', namespace: TOKEN_NAMESPACE }, async () =>
      listed(await this.core.listNamespacedSecret({ namespace: TOKEN_NAMESPACE, fieldSelector: `type=${TOKEN_SECRET_TYPE}` })),
    );
  }

  getSecret(name: string): Promise<V1Secret | undefined> {
    return this.maybe({ verb: 'get', resource: 'secrets', namespace: TOKEN_NAMESPACE, name }, () =>
      this.core.readNamespacedSecret({ name, namespace: TOKEN_NAMESPACE }),
    );
  }

  /** Creates a Secret; `false` if one of that name exists already (never overwrites). */
  async createSecret(body: V1Secret): Promise<boolean> {
    const op: ApiOp = { verb: 'create', resource: 'secrets', namespace: TOKEN_NAMESPACE, name: body.metadata?.name ?? '' };
    try {
      await this.bounded(op, () => this.core.createNamespacedSecret({ namespace: TOKEN_NAMESPACE, body }));
      return true;
    } catch (err) {
      if (apiFailureOf(err).status === 409) return false;
      throw await this.explain(err, op);
    }
  }

  /** Deletes a Secret; with `uid`, only that very object (a precondition, as the TokenCleaner does). */
  async deleteSecret(name: string, uid?: string): Promise<DeleteOutcome> {
    const op: ApiOp = { verb: 'delete', resource: 'secrets', namespace: TOKEN_NAMESPACE, name };
    try {
      await this.bounded(op, () =>
        this.core.deleteNamespacedSecret({
          name,
          namespace: TOKEN_NAMESPACE,
          ...(uid === undefined ? {} : { body: { preconditions: { uid } } }),
        }),
      );
      return 'deleted';
    } catch (err) {
      const status = apiFailureOf(err).status;
      if (status === 404) return 'not-found';
      if (status === 409) return 'changed';
      throw await this.explain(err, op);
    }
  }

  // ---- ConfigMaps ----

  getConfigMap(namespace: string, name: string): Promise<V1ConfigMap | undefined> {
    return this.maybe({ verb: 'get', resource: 'configmaps', namespace, name }, () => this.core.readNamespacedConfigMap({ name, namespace }));
  }

  createConfigMap(body: V1ConfigMap): Promise<V1ConfigMap> {
    const namespace = body.metadata?.namespace ?? '';
    return this.call({ verb: 'create', resource: 'configmaps', namespace, name: body.metadata?.name ?? '' }, () =>
      this.core.createNamespacedConfigMap({ namespace, body }),
    );
  }

  /** Replaces a ConfigMap; `undefined` on a conflict (someone else wrote it since we read it). */
  async replaceConfigMap(body: V1ConfigMap): Promise<V1ConfigMap | undefined> {
    const namespace = body.metadata?.namespace ?? '';
    const name = body.metadata?.name ?? '';
    try {
      return await this.bounded({ verb: 'update', resource: 'configmaps', namespace, name }, () =>
        this.core.replaceNamespacedConfigMap({ name, namespace, body }),
      );
    } catch (err) {
      if (apiFailureOf(err).status === 409) return undefined;
      throw await this.explain(err, { verb: 'update', resource: 'configmaps', namespace, name });
    }
  }

  // ---- RBAC ----

  getClusterRoleBinding(name: string): Promise<V1ClusterRoleBinding | undefined> {
    return this.maybe({ verb: 'get', resource: `clusterrolebindings.${RBAC}`, name }, () => this.rbac.readClusterRoleBinding({ name }));
  }

  createClusterRoleBinding(body: V1ClusterRoleBinding): Promise<V1ClusterRoleBinding> {
    return this.call({ verb: 'create', resource: `clusterrolebindings.${RBAC}`, name: body.metadata?.name ?? '' }, () =>
      this.rbac.createClusterRoleBinding({ body }),
    );
  }

  replaceClusterRoleBinding(body: V1ClusterRoleBinding): Promise<V1ClusterRoleBinding> {
    const name = body.metadata?.name ?? '';
    return this.call({ verb: 'update', resource: `clusterrolebindings.${RBAC}`, name }, () => this.rbac.replaceClusterRoleBinding({ name, body }));
  }

  getRole(namespace: string, name: string): Promise<V1Role | undefined> {
    return this.maybe({ verb: 'get', resource: `roles.${RBAC}`, namespace, name }, () => this.rbac.readNamespacedRole({ name, namespace }));
  }

  createRole(body: V1Role): Promise<V1Role> {
    const namespace = body.metadata?.namespace ?? '';
    return this.call({ verb: 'create', resource: `roles.${RBAC}`, namespace, name: body.metadata?.name ?? '' }, () =>
      this.rbac.createNamespacedRole({ namespace, body }),
    );
  }

  replaceRole(body: V1Role): Promise<V1Role> {
    const namespace = body.metadata?.namespace ?? '';
    const name = body.metadata?.name ?? '';
    return this.call({ verb: 'update', resource: `roles.${RBAC}`, namespace, name }, () => this.rbac.replaceNamespacedRole({ name, namespace, body }));
  }

  getRoleBinding(namespace: string, name: string): Promise<V1RoleBinding | undefined> {
    return this.maybe({ verb: 'get', resource: `rolebindings.${RBAC}`, namespace, name }, () => this.rbac.readNamespacedRoleBinding({ name, namespace }));
  }

  createRoleBinding(body: V1RoleBinding): Promise<V1RoleBinding> {
    const namespace = body.metadata?.namespace ?? '';
    return this.call({ verb: 'create', resource: `rolebindings.${RBAC}`, namespace, name: body.metadata?.name ?? '' }, () =>
      this.rbac.createNamespacedRoleBinding({ namespace, body }),
    );
  }

  replaceRoleBinding(body: V1RoleBinding): Promise<V1RoleBinding> {
    const namespace = body.metadata?.namespace ?? '';
    const name = body.metadata?.name ?? '';
    return this.call({ verb: 'update', resource: `rolebindings.${RBAC}`, namespace, name }, () =>
      this.rbac.replaceNamespacedRoleBinding({ name, namespace, body }),
    );
  }

  // ---- watching ----

  /** One watch, see boundedWatch (agent/admin/watch.ts): the loop (agent/watch) re-watches. */
  watch(...args: WatchArgs): Promise<KubejoinError | undefined> {
    return boundedWatch(this.target, ...args);
  }
}
