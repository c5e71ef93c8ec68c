/** Path parameters shared by controllers, with examples from the fixtures so "Try it out" works as is. */
export const BUILD_ID_PARAM = {
  name: 'buildId',
  description: 'GNU build-id (hex, as readelf -n prints it) or the hex of a Go build id; 8-256 hex digits',
  // libcrashy.so of test/fixtures/cgo-crash: upload it first to see an answer.
  example: '4a5dec3d49a4e6fc848f77b4d53deac14f525455',
};

export const JOB_ID_PARAM = {
  name: 'id',
  description: 'Job id from the 202 answer of POST /v1/symbolicate (its Location header): 22 characters of base64url, unguessable',
  example: 'q3VxA0mZ8s2cXb1e9TfQ4w',
};
