import { Readable } from 'node:stream';
import type { AlertFilter } from '../stores/alert-query.js';
import { MAX_PAGE_SIZE, type Alert, type AlertStore } from '../stores/alert-store.js';
import type { KeyStore } from '../stores/key-store.js';

/** Alerts one export holds at most; past it the export says `truncated` (narrow the time range). */
export const EXPORT_MAX = 100_000;

/** The CSV's columns, one row per alert. Lists (sources, repositories) are joined with `; `. */
export const CSV_COLUMNS = [
  'id',
  'state',
  'resolution',
  'resolvedAt',
  'resolvedBy',
  'resolutionComment',
  'assignee',
  'keyId',
  'keyName',
  'keyHint',
  'keyStatus',
  'ownerId',
  'ownerName',
  'firstSeenAt',
  'pushedAt',
  'receivedAt',
  'revokedAt',
  'revokeLatencyMs',
  'notifiedAt',
  'locationCount',
  'sources',
  'repos',
  'firstUrl',
  'committedAt',
] as const;

const FORMULA_STARTS = '=+-@\t\r';

/**
 * One CSV cell, always quoted (RFC 4180: inner quotes doubled, line breaks
 * kept). A cell a spreadsheet would run as a formula (= + - @, or a tab or
 * carriage return first) gets a leading apostrophe: a repository path or a
 * comment is data, never `=HYPERLINK(…)`.
 */
export function csvCell(value: string | number | null | undefined): string {
  let text = value === null || value === undefined ? '' : String(value);
  if (text !== '' && FORMULA_STARTS.includes(text[0]!)) text = `'${text}`;
  return `"${text.replaceAll('"', '""')}"`;
}

function csvRow(alert: Alert, ownerName: string | null): string {
  const notifiedAt = alert.timeline.find((t) => t.event === 'notified')?.at ?? null;
  const distinct = (values: Array<string | null>) => [...new Set(values.filter((v): v is string => v !== null))].join('; ');
  const row: Record<(typeof CSV_COLUMNS)[number], string | number | null> = {
    id: alert.id,
    state: alert.state,
    resolution: alert.resolution,
    resolvedAt: alert.resolvedAt,
    resolvedBy: alert.resolvedBy,
    resolutionComment: alert.resolutionComment,
    assignee: alert.assignee,
    keyId: alert.keyId,
    keyName: alert.keyName,
    keyHint: alert.keyHint,
    keyStatus: alert.keyStatus,
    ownerId: alert.ownerId,
    ownerName,
    firstSeenAt: alert.firstSeenAt,
    pushedAt: alert.pushedAt,
    receivedAt: alert.receivedAt,
    revokedAt: alert.revokedAt,
    revokeLatencyMs: alert.revokeLatencyMs,
    notifiedAt,
    locationCount: alert.locationCount,
    sources: distinct(alert.locations.map((l) => l.source)),
    repos: distinct(alert.locations.map((l) => l.repo)),
    firstUrl: alert.locations.find((l) => l.url)?.url ?? null,
    committedAt: alert.committedAt,
  };
  return `${CSV_COLUMNS.map((column) => csvCell(row[column])).join(',')}\r\n`;
}

/**
 * An export of every alert the filter matches, newest first, as CSV or JSON
 * text chunks (a page at a time, so a large export is never held whole).
 * Owner names come from the key store, each owner asked once; when it cannot
 * answer, the name is left empty rather than failing the export.
 */
export async function* exportAlerts(
  alerts: AlertStore,
  keyStore: KeyStore,
  filter: AlertFilter,
  format: 'csv' | 'json',
  max = EXPORT_MAX,
): AsyncGenerator<string> {
  const owners = new Map<string, Promise<string | null>>();
  const ownerName = (id: string) => {
    if (!owners.has(id))
      owners.set(
        id,
        keyStore.getOwner(id).then(
          (o) => o?.name ?? null,
          () => null,
        ),
      );
    return owners.get(id)!;
  };
  // The header goes out with the first page: a store that cannot answer fails the export before anything is sent.
  let header =
    format === 'csv'
      ? `${CSV_COLUMNS.map((c) => csvCell(c)).join(',')}\r\n`
      : `{"exportedAt":${JSON.stringify(new Date().toISOString())},"filter":${JSON.stringify(filter)},"alerts":[`;
  let cursor: string | null = null;
  let count = 0;
  let truncated = false;
  do {
    const page = await alerts.list({ ...filter, cursor, limit: MAX_PAGE_SIZE });
    const names = await Promise.all(page.alerts.map((a) => ownerName(a.ownerId)));
    let chunk = header;
    header = '';
    for (const [i, alert] of page.alerts.entries()) {
      if (count === max) {
        truncated = true;
        break;
      }
      chunk += format === 'csv' ? csvRow(alert, names[i]!) : `${count ? ',' : ''}${JSON.stringify({ ...alert, ownerName: names[i] })}`;
      count++;
    }
    if (chunk) yield chunk;
    cursor = truncated ? null : page.nextCursor;
  } while (cursor);
  if (format === 'json') yield `],"count":${count},"truncated":${truncated}}`;
}

/**
 * The export as a stream with its first page already read, so a store that
 * cannot answer fails the request (503) instead of cutting a download short.
 */
export async function exportStream(alerts: AlertStore, keyStore: KeyStore, filter: AlertFilter, format: 'csv' | 'json'): Promise<Readable> {
  const chunks = exportAlerts(alerts, keyStore, filter, format);
  const first = await chunks.next();
  async function* all(): AsyncGenerator<string> {
    if (!first.done) yield first.value;
    yield* chunks;
  }
  return Readable.from(all());
}

/** `neevscan-alerts-2026-11-26.csv`: the download's name. */
export function exportFileName(format: 'csv' | 'json', now = new Date()): string {
  return `neevscan-alerts-${now.toISOString().slice(0, 10)}.${format}`;
}
