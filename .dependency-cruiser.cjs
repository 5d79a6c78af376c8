/**
 * Which part of src/ may import which (npm run lint:deps; CI runs it). Lower
 * parts never import higher ones:
 *   core, util, key-format  <  scanner, rules  <  sources, report  <  stores, metrics
 *   <  github  <  notify  <  pipeline  <  poller  <  server  <  cli
 * config.ts reads the environment: it may import core and each part's leaf
 * section reader (notify-config, dashboard-config, job-locks), nothing else.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const SERVICES = '^src/(server|pipeline|stores|notify|github|poller)/';

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No module may reach itself through its imports.',
      from: { path: '^src/' },
      to: { circular: true },
    },
    {
      name: 'core-is-the-bottom',
      severity: 'error',
      comment: 'src/core/ (the shared domain: exposures, errors, queue names) imports nothing of the project.',
      from: { path: '^src/core/' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'util-is-a-leaf',
      severity: 'error',
      comment: 'src/util/ (small helpers) imports nothing of the project.',
      from: { path: '^src/util/' },
      to: { path: '^src/', pathNot: '^src/util/' },
    },
    {
      name: 'key-format-is-a-leaf',
      severity: 'error',
      comment: 'The key format (src/key-format/) imports nothing of the project.',
      from: { path: '^src/key-format/' },
      to: { path: '^src/', pathNot: '^src/key-format/' },
    },
    {
      name: 'scanner-and-rules-know-nothing-above',
      severity: 'error',
      comment: 'The scanner and the rules import only each other, the key format, core, util and src/errors.ts.',
      from: { path: '^src/(scanner|rules)/' },
      to: { path: '^src/', pathNot: '^src/(scanner|rules|key-format|core|util)/|^src/errors\\.ts$' },
    },
    {
      name: 'sources-know-no-service',
      severity: 'error',
      comment: 'The CLI\'s sources (files, git, stdin) know no service part.',
      from: { path: '^src/sources/' },
      to: { path: `${SERVICES}|^src/(cli|metrics)/|^src/config\\.ts$` },
    },
    {
      name: 'stores-know-no-service-above',
      severity: 'error',
      comment: 'Stores keep data; they know no server, pipeline (queues), github, notify or poller.',
      from: { path: '^src/stores/' },
      to: { path: '^src/(server|pipeline|github|notify|poller|cli)/|^src/config\\.ts$' },
    },
    {
      name: 'notify-knows-no-server-or-pipeline',
      severity: 'error',
      comment: 'Notifications are rendered and sent without the server, the pipeline or the poller (the pipeline runs the notify worker).',
      from: { path: '^src/notify/' },
      to: { path: '^src/(server|pipeline|poller|cli)/' },
    },
    {
      name: 'github-knows-no-server-pipeline-or-notify',
      severity: 'error',
      comment: 'The GitHub client and push scans know no server, pipeline, notify or poller.',
      from: { path: '^src/github/' },
      to: { path: '^src/(server|pipeline|notify|poller|cli)/|^src/config\\.ts$' },
    },
    {
      name: 'pipeline-knows-no-poller-or-server',
      severity: 'error',
      comment: 'The pipeline\'s workers run without the HTTP server and the public events poller (the poller feeds their queues).',
      from: { path: '^src/pipeline/' },
      to: { path: '^src/(server|poller|cli)/' },
    },
    {
      name: 'job-kinds-stand-alone',
      severity: 'error',
      comment: 'Each job kind (src/pipeline/jobs/) is one file that no other kind imports: adding a kind is that file and a line in pipeline/registry.ts.',
      from: { path: '^src/pipeline/jobs/' },
      to: { path: '^src/pipeline/(jobs/|registry\\.ts$)' },
    },
    {
      name: 'metrics-is-a-leaf',
      severity: 'error',
      comment: 'Metrics import only core and themselves: the parts hand them what to count.',
      from: { path: '^src/metrics/' },
      to: { path: '^src/', pathNot: '^src/(metrics|core)/' },
    },
    {
      name: 'config-imports-only-leaves',
      severity: 'error',
      comment: 'config.ts reads the environment: core and each part\'s section reader only.',
      from: { path: '^src/config\\.ts$' },
      to: {
        path: '^src/',
        pathNot: '^src/core/|^src/(notify/notify-config|server/dashboard/dashboard-config|pipeline/job-locks|stores/redis-target)\\.ts$',
      },
    },
    {
      name: 'config-sections-are-leaves',
      severity: 'error',
      comment: 'Each part\'s section of the configuration imports nothing of the project (so config.ts stays a leaf).',
      from: { path: '^src/(notify/notify-config|server/dashboard/dashboard-config|pipeline/job-locks|stores/redis-target)\\.ts$' },
      to: { path: '^src/', pathNot: '^src/core/' },
    },
    {
      name: 'only-cli-imports-cli',
      severity: 'error',
      comment: 'The CLI is the top: nothing imports it.',
      from: { path: '^src/', pathNot: '^src/cli/' },
      to: { path: '^src/cli/' },
    },
    {
      name: 'server-is-above-the-workers',
      severity: 'error',
      comment: 'No part below the server imports it (the pipeline, poller, notify and stores run without it); config.ts reads its dashboard section.',
      from: { path: '^src/', pathNot: '^src/(server|cli)/|^src/config\\.ts$' },
      to: { path: '^src/server/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|test|bench)/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
};
