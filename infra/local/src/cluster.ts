import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { probeKafka } from '@hub/kafka';
import type { InfraSettings } from './settings.js';
import { kafkaClasspath, newClusterId } from './kafka.js';
import {
  LauncherError,
  isPidAlive,
  isPortOpen,
  readPid,
  removeFile,
  run,
  startDetached,
  stopPid,
  waitUntil,
} from './processes.js';

/**
 * A three-node KRaft cluster (every node broker + controller, static quorum) for fault tests:
 * replication factor 3, min.insync.replicas 2. Separate from the single development broker, with
 * its own ports and data under `<runDir>/kafka-cluster/`.
 */
export interface ClusterNode {
  readonly id: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly dir: string;
  readonly pidFile: string;
  readonly logFile: string;
}

export interface Cluster {
  readonly nodes: readonly ClusterNode[];
  readonly brokers: readonly string[];
}

export function clusterLayout(s: InfraSettings, size = 3): Cluster {
  const base = Number(process.env.HUB_CLUSTER_BASE_PORT ?? '29090');
  const nodes = Array.from({ length: size }, (_, i) => {
    const id = i + 1;
    const dir = join(s.runDir, 'kafka-cluster', `node-${id}`);
    return {
      id,
      port: base + id * 10,
      controllerPort: base + id * 10 + 1,
      dir,
      pidFile: join(dir, 'pid'),
      logFile: join(s.runDir, 'logs', `kafka-cluster-${id}.log`),
    };
  });
  return { nodes, brokers: nodes.map((n) => `127.0.0.1:${n.port}`) };
}

function nodeProperties(node: ClusterNode, cluster: Cluster): string {
  const voters = cluster.nodes.map((n) => `${n.id}@127.0.0.1:${n.controllerPort}`).join(',');
  return `# Written by infra/local cluster mode (fault tests)
process.roles=broker,controller
node.id=${node.id}
controller.quorum.voters=${voters}
listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=${join(node.dir, 'data')}
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
offsets.topic.num.partitions=6
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
share.coordinator.state.topic.replication.factor=3
share.coordinator.state.topic.min.isr=2
unclean.leader.election.enable=false
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.network.threads=1
num.io.threads=2
log.cleaner.threads=1
broker.session.timeout.ms=4000
broker.heartbeat.interval.ms=1000
replica.lag.time.max.ms=10000
`;
}

async function startNode(
  s: InfraSettings,
  node: ClusterNode,
  cluster: Cluster,
  java: string,
  cp: string,
  log4j: string,
): Promise<void> {
  if (readPid(node.pidFile) !== undefined) return;
  if (await isPortOpen(node.port)) {
    throw new LauncherError(
      'kafka-cluster',
      `port ${node.port} is in use by another program.`,
      'Free it or set HUB_CLUSTER_BASE_PORT.',
    );
  }
  const config = join(node.dir, 'server.properties');
  writeFileSync(config, nodeProperties(node, cluster));
  startDetached({
    command: java,
    args: [
      '-Xms128m',
      '-Xmx384m',
      '-XX:+UseSerialGC',
      '-XX:TieredStopAtLevel=1',
      `-Dlog4j2.configurationFile=${log4j}`,
      `-Dkafka.logs.dir=${join(s.runDir, 'logs')}`,
      '-cp',
      cp,
      'kafka.Kafka',
      config,
    ],
    logFile: node.logFile,
    pidFile: node.pidFile,
  });
}

/** Format (once, with one cluster id) and start every node; resolves when all brokers are registered. */
export async function startCluster(s: InfraSettings, size = 3): Promise<Cluster> {
  const cluster = clusterLayout(s, size);
  const { java, classpath, log4j } = await kafkaClasspath(s);
  const clusterId = newClusterId();
  mkdirSync(join(s.runDir, 'logs'), { recursive: true });
  for (const node of cluster.nodes) {
    mkdirSync(join(node.dir, 'data'), { recursive: true });
    if (existsSync(join(node.dir, 'data', 'meta.properties'))) continue;
    const config = join(node.dir, 'server.properties');
    writeFileSync(config, nodeProperties(node, cluster));
    const r = await run(
      java,
      [
        `-Dlog4j2.configurationFile=${log4j}`,
        '-cp',
        classpath,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId,
        '-c',
        config,
      ],
      {
        timeoutMs: 120_000,
      },
    );
    if (r.code !== 0)
      throw new LauncherError(
        'kafka-cluster',
        `formatting node ${node.id} failed:\n${r.stdout}${r.stderr}`,
        `Delete ${node.dir} and retry.`,
      );
  }
  for (const node of cluster.nodes) await startNode(s, node, cluster, java, classpath, log4j);
  await waitUntil('kafka-cluster', () => probeKafka(cluster.brokers, size), {
    timeoutMs: s.startTimeoutMs,
    intervalMs: 1000,
  });
  return cluster;
}

/** Crash (SIGKILL) or stop (SIGTERM) one node. */
export async function stopClusterNode(node: ClusterNode, how: 'kill' | 'term'): Promise<void> {
  const pid = readPid(node.pidFile);
  if (pid === undefined) return;
  if (how === 'kill') {
    process.kill(pid, 'SIGKILL');
    while (isPidAlive(pid)) await new Promise((r) => setTimeout(r, 50));
  } else {
    await stopPid(pid, 60_000);
  }
  removeFile(node.pidFile);
}

/** Bring a stopped node back with its data (no reformat). */
export async function restartClusterNode(
  s: InfraSettings,
  cluster: Cluster,
  node: ClusterNode,
): Promise<void> {
  const { java, classpath, log4j } = await kafkaClasspath(s);
  await startNode(s, node, cluster, java, classpath, log4j);
  await waitUntil('kafka-cluster', () => probeKafka(cluster.brokers, cluster.nodes.length), {
    timeoutMs: s.startTimeoutMs,
    intervalMs: 1000,
  });
}

/** Stop every node and delete the cluster's data (fault-test clusters are disposable). */
export async function destroyCluster(s: InfraSettings, cluster: Cluster): Promise<void> {
  for (const node of cluster.nodes) await stopClusterNode(node, 'term');
  rmSync(join(s.runDir, 'kafka-cluster'), { recursive: true, force: true });
}
