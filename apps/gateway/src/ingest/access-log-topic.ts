/** Where uploaded access-log events go: the input of the example ip-count jobs. The gateway creates it at boot. */
export function accessLogTopic(prefix: string): string {
  return `${prefix}access-log`;
}
