/** `work`, or the error `onTimeout` makes once `ms` have passed (the timer never outlives the race). */
export function withDeadline<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    // Timers run before I/O in an event-loop turn: after the loop was held (a 45k-frame request
    // parsed meanwhile), an answer already in the socket would lose to a late timer. setImmediate
    // lets that turn's I/O settle `work` first; a deadline that really passed still rejects.
    timer = setTimeout(() => setImmediate(() => reject(onTimeout())), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}
