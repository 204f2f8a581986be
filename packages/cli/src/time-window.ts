import { UsageError } from './cli-io.js';

const relative = /^(\d+)\s*([smhdw])$/;
const unitMs: Readonly<Record<string, number>> = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 };

/**
 * `--since 90d`, `--since 12h`, `--until 2024-06-01` or a full ISO timestamp → ISO-8601 UTC.
 * Relative values count back from `now`.
 */
export function parseTimeBound(flag: string, value: string, now: Date): string {
  const match = relative.exec(value.trim());
  if (match) {
    const ms = Number(match[1]) * (unitMs[match[2] ?? 'd'] ?? 0);
    return new Date(now.getTime() - ms).toISOString();
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(value)) {
    // Date.parse rolls 2024-02-30 over into March; a day the calendar lacks is a typo.
    if (!isCalendarDay(value.slice(0, 10))) {
      throw new UsageError(`--${flag} "${value}": ${value.slice(0, 10)} is not a day of the calendar`);
    }
    const parsed = Date.parse(value.length === 10 ? `${value}T00:00:00Z` : value);
    if (!Number.isNaN(parsed)) return new Date(parsed).toISOString();
  }
  throw new UsageError(`--${flag} "${value}": expected a duration such as 90d, 12h, 30m, or a date such as 2024-06-01`);
}

function isCalendarDay(day: string): boolean {
  const date = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === day;
}
