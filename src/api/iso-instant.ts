const DAY_MS = 86_400_000;
const MAX_DATE_MS = 8.64e15;

const digits = (width: number, count: number) =>
  Array.from({ length: count }, (_, n) => String(n).padStart(width, '0'));
const TWO = digits(2, 60);
const THREE = digits(3, 1000);

let cachedDay = NaN;
let cachedPrefix = '';

/**
 * `new Date(ms).toISOString()`, at a fraction of its cost: the date part ("2024-05-01T") is made
 * once per day (Date's own, extended years and RangeError included), the time of day by table.
 * A month at 1 h is 720 instants per `history` answer; toISOString was 17% of the API's CPU there.
 */
export function isoInstant(ms: number): string {
  const time = Math.trunc(ms);
  if (!(Math.abs(time) <= MAX_DATE_MS)) return new Date(ms).toISOString();
  const day = Math.floor(time / DAY_MS) * DAY_MS;
  if (day !== cachedDay) {
    cachedPrefix = new Date(day).toISOString().slice(0, -13);
    cachedDay = day;
  }
  let rest = time - day;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return `${cachedPrefix}${TWO[hours]}:${TWO[minutes]}:${TWO[seconds]}.${THREE[rest - seconds * 1000]}Z`;
}
