import { clusterSafePrefix, describeRedis, parseRedisUrl } from '../../../src/adapters/redis-connection';
import { loadConfig } from '../../../src/config/config';

/** REDIS_URL shapes: one server, sentinels, a cluster; and what is wrong with a bad one. */
describe('parseRedisUrl', () => {
  it('one server stays a URL', () => {
    expect(parseRedisUrl('redis://:pw@10.0.0.1:6380/2')).toEqual({ mode: 'single', url: 'redis://:pw@10.0.0.1:6380/2' });
    expect(describeRedis(parseRedisUrl('redis://:secret@10.0.0.1:6380/2'))).toBe('redis://10.0.0.1:6380/2');
  });

  it('sentinels: hosts (default port 26379), master name, db, passwords', () => {
    expect(parseRedisUrl('redis+sentinel://:p%40ss@s1:26380,s2,[::1]:26381/mymaster/3?sentinelPassword=sp')).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26380 },
        { host: 's2', port: 26379 },
        { host: '::1', port: 26381 },
      ],
      name: 'mymaster',
      db: 3,
      username: undefined,
      password: 'p@ss',
      sentinelPassword: 'sp',
      tls: false,
    });
    expect(describeRedis(parseRedisUrl('redis+sentinel://:secret@s1:1,s2:2/m'))).toBe('sentinel s1:1,s2:2 master m');
  });

  it('cluster: seed nodes (default port 6379), TLS by rediss+cluster', () => {
    expect(parseRedisUrl('rediss+cluster://user:pw@c1:7000,c2')).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'c1', port: 7000 },
        { host: 'c2', port: 6379 },
      ],
      username: 'user',
      password: 'pw',
      tls: true,
    });
  });

  it.each([
    ['http://x', /expected redis:\/\//],
    ['redis+sentinel://s1:26379', /name the master/],
    ['redis+sentinel://s1:99999/m', /port 99999 out of range/],
    ['redis+cluster://', /no host:port/],
    ['redis+sentinel://s1/m/x', /database "x" is not a number/],
  ])('%s is refused: %s', (url, why) => {
    expect(() => parseRedisUrl(url)).toThrow(why);
  });

  it('a cluster gets a {hash tag} queue prefix (all of a queue in one slot); one already tagged is kept', () => {
    expect(clusterSafePrefix('symbridge')).toBe('{symbridge}');
    expect(clusterSafePrefix('{sb}-prod')).toBe('{sb}-prod');
    expect(loadConfig({ REDIS_URL: 'redis+cluster://c1:7000', QUEUE_PREFIX: 'sb' }).queuePrefix).toBe('{sb}');
    expect(loadConfig({ REDIS_URL: 'redis://c1:7000', QUEUE_PREFIX: 'sb' }).queuePrefix).toBe('sb');
    expect(() => loadConfig({ REDIS_URL: 'redis+sentinel://s1:1' })).toThrow(/REDIS_URL: name the master/);
  });

  it('STORE_BACKEND=s3 needs a bucket; the prefix gets its slash', () => {
    expect(() => loadConfig({ STORE_BACKEND: 's3' })).toThrow(/S3_BUCKET: required when STORE_BACKEND=s3/);
    const c = loadConfig({ STORE_BACKEND: 's3', S3_BUCKET: 'symbols', S3_PREFIX: 'prod', S3_FORCE_PATH_STYLE: 'true', AWS_REGION: 'eu-west-1' });
    expect(c.s3).toMatchObject({ bucket: 'symbols', prefix: 'prod/', forcePathStyle: true, region: 'eu-west-1' });
  });
});
