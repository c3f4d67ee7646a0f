// A single-node KRaft Kafka with a SASL_SSL client listener (SCRAM-SHA-512), a SCRAM user per app made at
// format time with Kafka's own StorageTool, the StandardAuthorizer, and ACLs that give each flowgate app only
// the topics, consumer groups and transactional ids it uses (see the README, "Kafka and Redis with TLS, SASL
// and ACLs"). Used by the secure-stack e2e spec; `node tools/stack/secure-kafka.mjs` is not a CLI.
import { readFileSync } from 'node:fs';
import { Kafka, logLevel } from 'kafkajs';
import { startKafka } from './kafka.mjs';

/** The demo jobs' routes with a topic of their own (libs/examples/src/demo/routes.ts). */
export const DEMO_ROUTE_TOPICS = ['counter', 'access-log'];

/** The apps that get a Kafka user of their own, besides `admin` (the super user). */
export const KAFKA_APPS = ['gateway', 'processor', 'sweeper', 'console'];

/**
 * What each app may do, under the topic prefix `p` (FLOWGATE_TOPIC_PREFIX). Topics are literal names,
 * except the processor's: its jobs and scripts bring topics of their own under the prefix, so it
 * has the prefix itself. Groups and transactional ids are prefixes. Kafka's READ and WRITE imply
 * DESCRIBE; DESCRIBE alone is what `ensureTopics` at boot needs to see a topic that exists.
 * `routeTopics`: the topics (without the prefix) of the routes that have one of their own — the
 * gateway writes those routes' requests there (the demo jobs: `counter`, `access-log`).
 */
export function kafkaAcls(p, routeTopics = DEMO_ROUTE_TOPICS) {
  const routes = routeTopics.map((topic) => `${p}${topic}`);
  return {
    gateway: {
      topics: {
        Write: [...new Set([`${p}requests`, `${p}routes`, `${p}scripts`, `${p}audit`, `${p}status`, `${p}access-log`, ...routes])],
        Read: [`${p}replies`, `${p}routes`, `${p}scripts`, `${p}audit`],
        Describe: [`${p}dlq`, `${p}timeouts`],
      },
      groups: [`${p}gateway-`],
    },
    processor: {
      topicPrefixes: { Read: [p], Write: [p], Create: [p] },
      groups: [`${p}processor`, `${p}job.`, `${p}restore.`],
      transactionalIds: [`${p}job.`],
    },
    sweeper: {
      topics: {
        Write: [`${p}timeouts`],
        Read: [`${p}replies`],
        Describe: [`${p}requests`, `${p}dlq`, `${p}routes`, `${p}scripts`, `${p}audit`, `${p}status`],
      },
      groups: [`${p}sweeper-`],
    },
    console: {
      topics: { Read: [`${p}status`, `${p}scripts`, `${p}dlq`] },
      groups: [`${p}console-`],
    },
  };
}

// kafkajs's numeric codes (AclResourceTypes, AclOperationTypes, ResourcePatternTypes, AclPermissionTypes).
const RESOURCE = { topic: 2, group: 3, transactionalId: 5 };
const OPERATION = { Read: 3, Write: 4, Create: 5, Describe: 8 };
const PATTERN = { literal: 3, prefixed: 4 };
const ALLOW = 3;

/** The ACL bindings of `kafkaAcls(prefix)`, as kafkajs's createAcls takes them. */
export function aclBindings(prefix, routeTopics) {
  const bindings = [];
  const add = (user, resourceType, resourcePatternType, resourceName, operation) =>
    bindings.push({ resourceType, resourceName, resourcePatternType, principal: `User:${user}`, host: '*', operation, permissionType: ALLOW });
  for (const [user, acl] of Object.entries(kafkaAcls(prefix, routeTopics))) {
    for (const [op, names] of Object.entries(acl.topics ?? {})) for (const name of names) add(user, RESOURCE.topic, PATTERN.literal, name, OPERATION[op]);
    for (const [op, names] of Object.entries(acl.topicPrefixes ?? {})) for (const name of names) add(user, RESOURCE.topic, PATTERN.prefixed, name, OPERATION[op]);
    for (const name of acl.groups ?? []) add(user, RESOURCE.group, PATTERN.prefixed, name, OPERATION.Read);
    for (const name of acl.transactionalIds ?? []) add(user, RESOURCE.transactionalId, PATTERN.prefixed, name, OPERATION.Write);
  }
  return bindings;
}

/** kafkajs options for a client of the secured broker: TLS trusting `caFile`, SCRAM-SHA-512 as `username`. */
export function secureClientOptions({ caFile, username, password }) {
  return { ssl: { ca: [readFileSync(caFile, 'utf8')] }, sasl: { mechanism: 'scram-sha-512', username, password } };
}

/**
 * Starts the secured broker on 127.0.0.1:`port` and creates the ACLs of `kafkaAcls(prefix, routeTopics)`.
 * `certs` come from ensureTlsCerts; `passwords` maps each user (`admin` and KAFKA_APPS) to its password.
 * Returns startKafka's { brokers, pid, stop() }.
 */
export async function startSecureKafka({ port, controllerPort, dataDir, logFile, certs, passwords, prefix, routeTopics }) {
  const users = ['admin', ...KAFKA_APPS];
  for (const user of users) {
    // Kept out of the JAAS line and the StorageTool argument, which quote with " and delimit with , ] =.
    if (!/^[A-Za-z0-9_-]{8,}$/.test(passwords[user] ?? '')) throw new Error(`secure kafka: user ${user} needs a password of 8+ characters of A-Z a-z 0-9 _ -`);
  }
  const listener = 'SASL_SSL';
  const properties = `
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="admin" password="${passwords.admin}";
ssl.keystore.type=PEM
ssl.keystore.location=${certs.keystore}
ssl.truststore.type=PEM
ssl.truststore.location=${certs.ca}
authorizer.class.name=org.apache.kafka.metadata.authorizer.StandardAuthorizer
allow.everyone.if.no.acl.found=false
# admin: the broker itself and the operator. ANONYMOUS: the node's own PLAINTEXT controller listener on
# 127.0.0.1 (broker-to-controller requests of this combined node); clients cannot use that listener.
super.users=User:admin;User:ANONYMOUS
`;
  const formatArgs = users.flatMap((user) => ['--add-scram', `SCRAM-SHA-512=[name=${user},password=${passwords[user]}]`]);
  const admin = secureClientOptions({ caFile: certs.ca, username: 'admin', password: passwords.admin });
  const kafka = await startKafka({ port, controllerPort, dataDir, logFile, security: { listener, properties, formatArgs, client: admin } });
  try {
    const client = new Kafka({ ...admin, clientId: 'flowgate-stack-acls', brokers: [kafka.brokers], logLevel: logLevel.NOTHING });
    const adminClient = client.admin();
    await adminClient.connect();
    try {
      await adminClient.createAcls({ acl: aclBindings(prefix, routeTopics) });
    } finally {
      await adminClient.disconnect();
    }
  } catch (err) {
    await kafka.stop();
    throw err;
  }
  return kafka;
}
