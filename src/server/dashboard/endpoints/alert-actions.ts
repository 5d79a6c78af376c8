import type { FastifyInstance } from 'fastify';
import { RESOLUTIONS, type Actor, type Alert, type AlertResolution } from '../../../stores/alert-store.js';
import { checkAssignee, checkComment } from '../../alert-params.js';
import { ApiError } from '../../errors.js';
import type { DashboardContext } from '../context.js';
import { detailPage } from '../detail-page.js';
import { alertId, form, html } from '../forms.js';

type Run = (id: string, body: Record<string, string>, who: Actor) => Promise<string>;

/** POST /alerts/:id/{resolve,reopen,assign,comment,revoke-key}: the alert page's forms, one small action each. */
export function register(scope: FastifyInstance, context: DashboardContext): void {
  const { review } = context;
  const action = (name: string, run: Run) => registerAction(scope, context, name, run);
  action('resolve', async (id, body, who) => {
    const resolution = body.resolution as AlertResolution;
    if (!RESOLUTIONS.includes(resolution)) throw new ApiError(400, 'bad_request', `choose a resolution: ${RESOLUTIONS.join(', ')}`);
    await review.resolve(id, { resolution, comment: checkComment(body.comment) }, who);
    return 'resolved';
  });
  action('reopen', async (id, body, who) => {
    await review.reopen(id, { comment: checkComment(body.comment) }, who);
    return 'reopened';
  });
  action('assign', async (id, body, who) => {
    const assignee = body.assignee?.trim() ? checkAssignee(body.assignee) : null;
    const after: Alert = await review.assign(id, { assignee, comment: checkComment(body.comment) }, who);
    return after.assignee ? 'assigned' : 'unassigned';
  });
  action('comment', async (id, body, who) => {
    const comment = checkComment(body.comment);
    if (!comment) throw new ApiError(400, 'bad_request', 'write a comment first');
    await review.comment(id, comment, who);
    return 'commented';
  });
  action('revoke-key', async (id, body, who) => {
    await review.revokeKey(id, { comment: checkComment(body.comment) }, who);
    return 'key_revoked';
  });
}

/** A form action: done → back to the alert with what happened; refused (400, 409) → the alert again, saying why. */
function registerAction(scope: FastifyInstance, { checkedPost, actor, review }: DashboardContext, name: string, run: Run): void {
  scope.post<{ Params: { id: string } }>(`/alerts/:id/${name}`, { preHandler: checkedPost }, async (request, reply) => {
    const id = alertId(request.params.id);
    try {
      const done = await run(id, form(request), actor(request));
      return reply.redirect(`/alerts/${id}?done=${done}`, 303);
    } catch (error) {
      if (!(error instanceof ApiError) || error.statusCode === 404 || error.statusCode >= 500) throw error;
      const detail = await review.detail(id);
      return html(
        reply.code(error.statusCode),
        detailPage({ session: request.dashboard!.session, detail, error: error.message, now: Date.now() }),
      );
    }
  });
}
