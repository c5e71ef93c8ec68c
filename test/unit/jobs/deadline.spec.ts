import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { withDeadline } from '../../../src/jobs/deadline';

/** A deadline measured while the event loop was held by other work must not beat an answer that already arrived. */
it('an answer that arrived while the loop was busy wins over the late timer', async () => {
  // The echo runs in another process: it answers while this one's loop is held.
  const echo = spawn(process.execPath, ['-e', "const s=require('net').createServer(c=>c.on('data',d=>c.write(d))).listen(0,'127.0.0.1',()=>console.log(s.address().port))"]);
  const [port] = (await once(echo.stdout!, 'data')) as [Buffer];
  const socket = connect(Number(port.toString()), '127.0.0.1');
  await once(socket, 'connect');
  try {
    const answer = new Promise<string>((resolve) => socket.once('data', (d) => resolve(d.toString())));
    socket.write('pong');
    const raced = withDeadline(answer, 50, () => new Error('deadline'));
    const until = Date.now() + 300; // the loop is held past the deadline; the echo arrives meanwhile
    while (Date.now() < until);
    await expect(raced).resolves.toBe('pong');
  } finally {
    socket.destroy();
    echo.kill();
  }
});

it('a deadline that really passed still rejects', async () => {
  await expect(withDeadline(new Promise(() => undefined), 50, () => new Error('deadline'))).rejects.toThrow('deadline');
});
