// The import-boundary lint rule (docs/ui.md "Import boundaries"; docs/architecture rooms): every
// file belongs to a room, and each room lists what it MAY import (an allowlist, not a list of
// what it may not). Checked for every way a module is reached: static imports and `import type`,
// re-exports (`export … from`, `export * from`), dynamic `import()`, `require()`,
// `import x = require()` and `typeof import('…')` types. A dynamic import whose specifier is not a
// plain string cannot be checked and is refused in the rooms that must stay pure.
//
// Rooms come from eslint.config.js (`rooms`), most specific first; a file's room is the first
// whose path prefix holds it. An import's target is either a room of the repository (a relative
// specifier, resolved), a Node built-in (`node:` or a bare built-in name), or a package (its name,
// `@scope/name`). Test files (*.test.ts(x), and anything under a test-support/ folder) run in
// Node under vitest: they may import, besides their room's list, what `testExtras` gives (its
// `files` names test helpers outside those names); program code may not import test code.
import { builtinModules } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';

const builtins = new Set(builtinModules);

/** `node:fs`, `fs`, `fs/promises` → true */
function isBuiltin(spec) {
  if (spec.startsWith('node:')) return true;
  return builtins.has(spec) || builtins.has(spec.split('/')[0]);
}

/** '@noble/hashes/sha3.js' → '@noble/hashes'; 'react-dom/client' → 'react-dom' */
function packageName(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** 'src-shared/node-*' matches 'src-shared/node-crypto/x.ts'; 'src-main/core' matches itself and below */
function matchesPrefix(pattern, path) {
  if (pattern.endsWith('*')) {
    const stem = pattern.slice(0, -1);
    return path.startsWith(stem) && path.length > stem.length;
  }
  return path === pattern || path.startsWith(pattern + '/');
}

/** '@noble/*' matches '@noble/hashes'; 'react' matches only 'react' */
function matchesPackage(pattern, name) {
  if (pattern.endsWith('/*')) return name.startsWith(pattern.slice(0, -1));
  return name === pattern;
}

export function roomOf(rooms, repoPath) {
  return rooms.find((r) => r.paths.some((p) => matchesPrefix(p, repoPath)));
}

export function isTestFile(repoPath, helpers = []) {
  return /\.test\.tsx?$/.test(repoPath) || repoPath.split('/').includes('test-support') || helpers.includes(repoPath);
}

/**
 * Why `spec`, imported by the file at `repoPath`, is not allowed, or null when it is.
 * `root` is the repository root (absolute).
 */
export function whyRefused({ rooms, testExtras }, root, filePath, spec) {
  const repoPath = relative(root, filePath).split(sep).join('/');
  const room = roomOf(rooms, repoPath);
  if (!room) return null; // tooling outside the rooms (scripts/, e2e/, bench/) is not restricted
  const test = isTestFile(repoPath, testExtras.files);
  const may = {
    rooms: [...room.may.rooms, ...(test ? testExtras.rooms : [])],
    packages: [...(room.may.packages ?? []), ...(test ? testExtras.packages : [])],
    node: room.may.node === true || test,
  };
  if (spec.startsWith('.') || spec.startsWith('/')) {
    const target = relative(root, resolve(dirname(filePath), spec))
      .split(sep)
      .join('/');
    if (target.startsWith('..')) return `${spec} is outside the repository`;
    // test helpers may use Node and test tools: program code must not reach them
    if (!test && isTestFile(target, testExtras.files)) return `${room.name} may not import test code (${target})`;
    // test helpers of the room itself are allowed to its tests
    if (may.rooms.some((p) => matchesPrefix(p, target))) return null;
    const targetRoom = roomOf(rooms, target);
    return `${room.name} may not import ${targetRoom ? `the room ${targetRoom.name}` : target} (${room.why})`;
  }
  if (isBuiltin(spec)) return may.node ? null : `${room.name} may not use Node built-ins (${spec}) (${room.why})`;
  const name = packageName(spec);
  if (may.packages.some((p) => matchesPackage(p, name))) return null;
  return `${room.name} may not import the package ${name} (${room.why})`;
}

/** the ESLint rule; options: [{ rooms, testExtras, root }] */
export const boundaryRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Each room imports only what its allowlist names (docs/ui.md "Import boundaries").' },
    schema: [{ type: 'object', additionalProperties: true }],
    messages: {
      refused: '{{why}}',
      computed: '{{room}} may not load a module by a computed name: it cannot be checked.',
    },
  },
  create(context) {
    const opts = context.options[0];
    const filePath = context.filename ?? context.getFilename();
    const repoPath = relative(opts.root, filePath).split(sep).join('/');
    const room = roomOf(opts.rooms, repoPath);
    if (!room) return {};
    const check = (node, spec) => {
      const why = whyRefused(opts, opts.root, filePath, spec);
      if (why) context.report({ node, messageId: 'refused', data: { why } });
    };
    const literal = (n) => {
      if (n?.type === 'Literal' && typeof n.value === 'string') return n.value;
      if (n?.type === 'TemplateLiteral' && n.expressions.length === 0) return n.quasis[0].value.cooked;
      return undefined;
    };
    const checkExpr = (node, arg) => {
      const spec = literal(arg);
      if (spec !== undefined) check(node, spec);
      else if (room.pure) context.report({ node, messageId: 'computed', data: { room: room.name } });
    };
    return {
      ImportDeclaration: (n) => check(n, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n, n.source.value),
      ExportAllDeclaration: (n) => check(n, n.source.value),
      ImportExpression: (n) => checkExpr(n, n.source),
      CallExpression: (n) => {
        if (n.callee.type === 'Identifier' && n.callee.name === 'require' && n.arguments.length > 0) checkExpr(n, n.arguments[0]);
      },
      TSExternalModuleReference: (n) => checkExpr(n, n.expression),
      TSImportType: (n) => {
        // typescript-eslint 8: `source`; older: `argument` (a TSLiteralType)
        const arg = n.source ?? (n.argument?.type === 'TSLiteralType' ? n.argument.literal : n.argument);
        const spec = literal(arg);
        if (spec !== undefined) check(n, spec);
      },
    };
  },
};
