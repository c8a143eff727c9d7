// Kind → REST path, from the API server's own discovery (as client-go's
// RESTMapper does), so no tactic keeps a table of plurals: a manifest may hold
// any kind the member serves, its CRDs' kinds included.
import { resourcePath } from './paths.js';

export interface ResourceInfo {
  plural: string;
  namespaced: boolean;
}

interface DiscoveryList {
  resources?: Array<{ name: string; kind: string; namespaced: boolean }>;
}

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

export class UnknownKind extends Error {}

/** What the mapper needs of a client: a GET (avoids a cycle with client.ts). */
export type Getter = (path: string) => Promise<unknown>;

export class RestMapper {
  private readonly groups = new Map<string, Promise<Map<string, ResourceInfo>>>();

  constructor(private readonly get: Getter) {}

  /** The plural and scope of a kind; discovery is read once per group-version and again when a kind is missing (a CRD just added). */
  async resourceFor(apiVersion: string, kind: string): Promise<ResourceInfo> {
    let found = (await this.discover(apiVersion)).get(kind);
    if (!found) {
      this.groups.delete(apiVersion);
      found = (await this.discover(apiVersion)).get(kind);
    }
    if (!found) throw new UnknownKind(`the API server serves no kind ${kind} in ${apiVersion}`);
    return found;
  }

  /** Path of one object (for get, apply, delete). */
  async objectPath(o: ObjectRef): Promise<string> {
    const r = await this.resourceFor(o.apiVersion, o.kind);
    return resourcePath(o.apiVersion, r.plural, r.namespaced ? o.metadata.namespace ?? 'default' : undefined, o.metadata.name);
  }

  /** Path listing a kind in every namespace (or in one). */
  async listPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
    const r = await this.resourceFor(apiVersion, kind);
    return resourcePath(apiVersion, r.plural, r.namespaced ? namespace : undefined);
  }

  private discover(apiVersion: string): Promise<Map<string, ResourceInfo>> {
    let p = this.groups.get(apiVersion);
    if (!p) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      // A group-version the server does not serve answers 404: it simply has no kinds (an UnknownKind below).
      p = (this.get(path) as Promise<DiscoveryList>).catch((e: unknown) => {
        if ((e as { statusCode?: number }).statusCode === 404) return {} as DiscoveryList;
        throw e;
      }).then((list) => {
        const kinds = new Map<string, ResourceInfo>();
        // Subresources (pods/status) share their parent's kind: skip them.
        for (const r of list.resources ?? []) if (!r.name.includes('/')) kinds.set(r.kind, { plural: r.name, namespaced: r.namespaced });
        return kinds;
      });
      p.catch(() => this.groups.delete(apiVersion)); // a failed discovery is retried next time
      this.groups.set(apiVersion, p);
    }
    return p;
  }
}
