// require hook for a child process run from .ts sources (tests, ts-node; never dist/): @swc/core (already here
// for Jest) transpiles a module in milliseconds, where ts-node first loads TypeScript (seconds).
'use strict';
const { transformSync } = require('@swc/core');
const { readFileSync } = require('node:fs');
require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript', decorators: true }, transform: { legacyDecorator: true, decoratorMetadata: true }, target: 'es2022' },
    module: { type: 'commonjs' },
  });
  module._compile(code, filename);
};
