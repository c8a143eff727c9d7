// fedfeat command line. Each command loads its modules when it runs: the
// controller and the webhook never load the local federation launcher or the
// evaluation harness (and --help loads none of them).
import { CommandFailed, parseCommandLine, UsageError } from './args.js';
import { controllerOptions, webhookOptions } from './server-options.js';

const USAGE = `fedfeat: feature compatibility for federations of Kubernetes clusters

Usage:
  fedfeat controller [--kubeconfig PATH] [--listen HOST:PORT] [--leader-elect true|false]
        [--lease-namespace NS] [--simulated-node-annotation KEY=VALUE] [--resync-seconds N] [--workers N]
        [--health-period-seconds N] [--verify-timeout-seconds N] [--identity ID] [--calico-manifest-url URL]
        [--calico-image-registry REGISTRY] [--health-probe-concurrency N] [--health-status-refresh-seconds N] [--drift-watch-limit N]
        Run the controller against the host cluster (in-cluster config without --kubeconfig).
  fedfeat webhook podpreset [--kubeconfig PATH] [--listen HOST:PORT] (--tls-dir DIR | --tls-secret NS/NAME)
        Serve the PodPreset mutating admission webhook (what the podpreset tactic deploys on members).
  fedfeat eval overhead|disruption|time-to-reconfigure|scale|all [--out DIR] [--repeats N]
        [--members 1,5,10] [--nodes 10,100,1000]
        The paper's experiments (and scale) on a local federation the harness starts and stops:
        results.json, report.md and PNG charts in DIR (default ./eval-report).
  fedfeat eval overhead|disruption|time-to-reconfigure|all --kubeconfig PATH --context CTX[,CTX...] [--yes]
        [--node-agent-image REF] [--webhook-image REF] [--podpreset-webhook-url CTX=URL,...] [--web-image REF]
        [--pause-image REF] [--node NAME] [--calico-manifest-url URL] [--simulated-node-annotation KEY=VALUE]
        [--features podpreset,cpumanagementpolicy,networkpolicy]
        The same on your clusters (only the named contexts): says what it will change, asks (or --yes),
        records every change on the cluster first (namespace fedfeat-eval) and reverts it at the end.
  fedfeat eval cleanup --kubeconfig PATH --context CTX[,CTX...] [--yes]
        Undo what an interrupted evaluation left on those clusters.
  fedfeat join MEMBER --context CTX [--kubeconfig PATH] [--host-context CTX] [--access inform|enforce]
        [--features podpreset,cpumanagementpolicy,networkpolicy] [--placement-namespaces NS,...]
        [--service-account NAME] [--dry-run]
        Register a member on the host with least privilege: a ServiceAccount on the member with only the roles
        the access level and features need (default: inform, all features), its token and a KubeFedCluster on
        the host (--host-context, default the kubeconfig's current context). Run again to change access.
        --placement-namespaces lets FeaturePlacements run Deployments in those namespaces (join creates them).
        --dry-run prints the objects and touches nothing. --service-account (default fedfeat-host) names the
        host's identity on the member.
  fedfeat join MEMBER --context CTX --decentralized --ca-dir DIR [--peers NAME=HOST:PORT,...] [--advertise HOST:PORT]
        [--labels K=V,...] [--annotations K=V,...] [--access inform|enforce] [--features ...] [--agent-image REF]
        [--no-deployment] [--ip-addresses IP,...] [--dns-names NAME,...] [--kubeconfig PATH] [--dry-run]
        Decentralized mode (no host): on the member, the agent's certificate from the fleet CA in DIR (ca.crt,
        ca.key; created for the first member) as Secret fedfeat-agent-tls, its member name, peers, advertised
        address (default: its pod IP), labels and annotations (the tactics' per-member settings, as a
        KubeFedCluster's annotations in host mode, e.g. fedfeat.io/podpreset-webhook-url) as ConfigMap
        fedfeat-agent, the access level's roles bound to ServiceAccount fedfeat-agent, and the agent's Deployment (manifests/agent; --no-deployment: an agent
        run elsewhere reads the same Secret and ConfigMap).
  fedfeat unjoin MEMBER --context CTX [--kubeconfig PATH] [--host-context CTX] [--service-account NAME]
        Remove what join created, on the member and on the host.
  fedfeat unjoin MEMBER --context CTX --decentralized --ca-dir DIR [--peers NAME=HOST:PORT,...]
        [--agent-stopped] [--remove-crds]
        The fleet revokes MEMBER (a revocation signed with the CA key in DIR, handed to the other members' agents
        with an operator certificate issued from it; default peers: MEMBER's ConfigMap), then what join wrote
        on MEMBER is removed,
        then, once the agent's pods are gone, what the agent materialized there: its FeatureConfigs (their
        changes reverted where deletionPolicy is Revert; what stays is named), ClusterFeatureStatuses and
        ClusterCoordinates — on MEMBER only, never fleet-wide. An agent run elsewhere (--no-deployment) must be
        stopped first and declared with --agent-stopped. --remove-crds deletes the CRDs too, refused while
        objects not written by the agent remain.
  fedfeat status [NAME] [--kubeconfig PATH] [--watch]
        The per-cluster, per-feature state of FeatureConfigs on the host.
  fedfeat agent --member NAME --tls-dir DIR [--kubeconfig PATH] [--listen HOST:PORT] [--advertise HOST:PORT]
        [--peers NAME=HOST:PORT,...] [--state-dir DIR] [--labels K=V,...] [--resync-seconds N] [--tactics true|false]
        [--config-dir DIR] [--annotations K=V,...] [--epoch-max-changes N] [--epoch-max-bytes N] [--epoch-grace-seconds N]
        Decentralized mode, no host: the member's own agent. Replicates the fleet's FeatureConfigs with the
        other agents (mutual TLS with the fleet CA in DIR: ca.crt, tls.crt, tls.key), materializes them on
        this member's API server (in-cluster config without --kubeconfig) and runs the tactics here.
        --config-dir: member, peers, advertise, labels, annotations from files (the ConfigMap join writes); flags win.
        --epoch-*: the fleet document's history is truncated (a new epoch) once it holds more than N changes
        (default 5000) or N saved bytes (default 1048576) and every member has acknowledged the cut for the
        grace period (default 60 s).
  fedfeat agent certificate --member NAME --ca-dir DIR --out DIR [--ip-addresses IP,...] [--dns-names NAME,...]
        Issue an agent certificate from the fleet CA in DIR (ca.crt, ca.key; created when missing) into --out.
  fedfeat agent revoke MEMBER --ca-dir DIR --peers NAME=HOST:PORT,...
        Remove MEMBER from the fleet (a revocation signed with the fleet CA's key in DIR, handed to the agents
        at --peers): every agent then refuses MEMBER's certificate.
  fedfeat dev up [--members N] [--nodes M] [--node-size MEMBER=CPU/MEM,...] [--name NAME] [--real-node auto|on|off] [--real-nodes K] [--host-node on|off]
        [--keep-on-failure] [--decentralized]
        Start a local federation of real Kubernetes processes (default: 3 members, 5 KWOK nodes each,
        and K=3 real nodes in member-1 when running as root: each containerd, kubelet and kube-proxy
        in its own network namespace, pods routed between nodes without overlay, about 185 MiB each;
        with them, one real node in the host cluster for the controller's Deployment unless --host-node off).
        --node-size sizes KWOK nodes per member (default 8 CPUs/32Gi), e.g. mck8s's testbed:
        --members 5 --node-size member-1=4/16Gi,member-5=4/16Gi,*=2/4Gi ("*": members not named).
        --decentralized joins every member with \`fedfeat join --decentralized --no-deployment\` (fleet CA in
        the federation's directory, agents/fleet-ca) and starts a \`fedfeat agent\` process per member configured
        from the Secret and ConfigMap join wrote; no host controller is started.
  fedfeat dev down [--name NAME] [--purge]
        Stop exactly the processes "up" started and remove its network namespaces, bridge and cgroups.
  fedfeat dev status [--name NAME]
        Show the federation's clusters, processes and the members registered on the host.
  fedfeat dev demo [--name NAME]
        On a running federation: install fedfeat on the host from manifests/ (the controller's Deployment
        on the host's real node, else a host process), apply the paper's Listing 1 FeatureConfig and show its status.
  fedfeat dev env [--name NAME]
        Print shell exports (KUBECONFIG, PATH with the matching kubectl).

NAME defaults to "dev"; state lives in $FEDFEAT_HOME (default ~/.fedfeat)/federations/NAME.
`;

async function main(argv: string[]): Promise<number> {
  const c = parseCommandLine(argv);
  switch (c.command) {
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    case 'controller': {
      const options = controllerOptions(c.values);
      const { runController } = await import('../controller/run.js');
      await runController(options);
      return new Promise<number>(() => undefined); // runs until SIGTERM
    }
    case 'webhook podpreset': {
      const { runPodPresetWebhook } = await import('../webhooks/podpreset/run.js');
      await runPodPresetWebhook(webhookOptions(c.values));
      return new Promise<number>(() => undefined); // runs until SIGTERM
    }
    case 'status':
      return (await import('./status-command.js')).statusCommand(c);
    case 'join':
    case 'unjoin':
      return (await import('./join-command.js')).joinCommand(c);
    case 'agent':
    case 'agent certificate':
    case 'agent revoke':
      return (await import('./agent-command.js')).agentCommand(c);
    case 'eval':
    case 'eval cleanup':
      return (await import('./eval-command.js')).evalCommand(c);
    default:
      return (await import('./dev-command.js')).devCommand(c);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const err = e as Error;
    process.stderr.write(`fedfeat: ${err.message}\n`);
    if (err instanceof UsageError) process.stderr.write('run "fedfeat help" for usage\n');
    process.exit(err instanceof UsageError ? 2 : err instanceof CommandFailed ? err.exitCode : 1);
  },
);
