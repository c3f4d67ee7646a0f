/** One caller's increments of one key, in order: the value each 200 answered, or null for any other answer. */
export type Answers = (number | null)[];

/**
 * What breaks exactly-once in one key's answers, given the counter's final value: every 200 saw
 * its own increment applied once, so the values rise by exactly 1 from one 200 to the next, and
 * the final value is the last one seen. The only slack is a refused request (say a 503 after a
 * lost acknowledgement): it may have been written anyway, even after later requests (the producer
 * keeps retrying a send whose caller it already failed), so each one may add 1 once, anywhere
 * after it.
 */
export function exactlyOnceProblems(answers: Answers, final: number): string[] {
  const problems: string[] = [];
  let last = 0;
  let slack = 0; // refused requests so far whose increment has not shown up in a value
  const check = (value: number, what: string) => {
    const extra = value - last - (what === 'final value' ? 0 : 1);
    if (extra < 0 || extra > slack) problems.push(`${what} ${value} after ${last}, with ${slack} refused requests unaccounted for`);
    else slack -= extra;
  };
  for (const [i, answer] of answers.entries()) {
    if (answer === null) {
      slack++;
      continue;
    }
    check(answer, `answer ${i}`);
    last = answer;
  }
  check(final, 'final value');
  return problems;
}
