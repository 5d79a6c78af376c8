/**
 * Which part of src/ may import which (npm run lint:deps; CI runs it). Lower
 * parts never import higher ones:
 *   core, util, key-format  <  scanner, rules  <  sources, report  <  stores, metrics
 *   <  github  <  notify  <  pipeline  <  poller, webhooks  <  server  <  cli
 * config.ts reads the environment: it may import core and each part's leaf
 * section reader (store-config, server-config, github-config, pipeline-config,
 * notify-config, dashboard-config), nothing else.
 * @type {import('dependency-cruiser').IConfiguration}
 */
const SERVICES = '^src/(server|webhooks|pipeline|stores|notify|github|poller)/';
// Each part's section of the configuration: what config.ts may import.
const CONFIG_SECTIONS =
  '^src/(stores/store-config|server/server-config|github/github-config|pipeline/pipeline-config|notify/notify-config|server/dashboard/dashboard-config)\\.ts$';

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
      comment: "The CLI's sources (files, git, stdin) know no service part.",
      from: { path: '^src/sources/' },
      to: { path: `${SERVICES}|^src/(cli|metrics)/|^src/config\\.ts$` },
    },
    {
      name: 'stores-know-no-service-above',
      severity: 'error',
      comment: 'Stores keep data; they know no server, webhooks, pipeline (queues), github, notify or poller.',
      from: { path: '^src/stores/' },
      to: { path: '^src/(server|webhooks|pipeline|github|notify|poller|cli)/|^src/config\\.ts$' },
    },
    {
      name: 'notify-knows-no-server-or-pipeline',
      severity: 'error',
      comment: 'Notifications are rendered and sent without the server, the pipeline or the poller (the pipeline runs the notify worker).',
      from: { path: '^src/notify/' },
      to: { path: '^src/(server|webhooks|pipeline|poller|cli)/' },
    },
    {
      name: 'github-knows-no-server-pipeline-or-notify',
      severity: 'error',
      comment: 'The GitHub client and push scans know no server, pipeline, notify or poller.',
      from: { path: '^src/github/' },
      to: { path: '^src/(server|webhooks|pipeline|notify|poller|cli)/|^src/config\\.ts$' },
    },
    {
      name: 'pipeline-knows-no-poller-or-server',
      severity: 'error',
      comment:
        "The pipeline's workers run without the HTTP server, the webhook handlers and the public events poller (both feed their queues).",
      from: { path: '^src/pipeline/' },
      to: { path: '^src/(server|webhooks|poller|cli)/' },
    },
    {
      name: 'webhooks-know-no-server-or-stores',
      severity: 'error',
      comment: 'The webhook handlers turn a verified delivery into planned jobs: no HTTP, no Redis of their own, no poller.',
      from: { path: '^src/webhooks/' },
      to: { path: '^src/(server|poller|stores|notify|cli)/|^src/config\\.ts$' },
    },
    {
      name: 'only-the-server-uses-webhooks',
      severity: 'error',
      comment: 'The webhook handlers sit between the pipeline and the server: only the server (and serve, in cli) import them.',
      from: { path: '^src/', pathNot: '^src/(webhooks|server|cli)/' },
      to: { path: '^src/webhooks/' },
    },
    {
      name: 'job-kinds-stand-alone',
      severity: 'error',
      comment:
        'Each job kind (src/pipeline/jobs/) is one file that no other kind imports: adding a kind is that file and a line in pipeline/registry.ts.',
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
      comment: "config.ts reads the environment: core and each part's section reader only.",
      from: { path: '^src/config\\.ts$' },
      to: {
        path: '^src/',
        pathNot: `^src/core/|${CONFIG_SECTIONS}`,
      },
    },
    {
      name: 'config-sections-are-leaves',
      severity: 'error',
      comment:
        "Each part's section of the configuration imports only core (and the pipeline's, its lock default), so config.ts stays a leaf.",
      from: { path: CONFIG_SECTIONS },
      to: { path: '^src/', pathNot: '^src/core/|^src/pipeline/job-locks\\.ts$|^src/stores/redis-target\\.ts$' },
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
      comment:
        'No part below the server imports it (the pipeline, poller, notify and stores run without it); config.ts reads its dashboard section.',
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
