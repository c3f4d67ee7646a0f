import { AssignerProtocol, PartitionAssigner } from 'kafkajs';

/**
 * kafkajs has no manual partition assignment, so a consumer that must read exactly one partition
 * joins a group of its own with this assigner. Every member gets the partition: a member that
 * crashed and has not yet been evicted cannot starve the live one.
 */
export function pinnedPartitionAssigner(partition: number): PartitionAssigner {
  const name = `FlowgatePinned${partition}`;
  return () => ({
    name,
    version: 1,
    async assign({ members, topics }) {
      const assignment = Object.fromEntries(topics.map((topic) => [topic, [partition]]));
      return members.map(({ memberId }) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      return { name, metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.alloc(0) }) };
    },
  });
}
