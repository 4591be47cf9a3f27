import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRfc3339Utc, GoParseError, parseGoDuration, parseGoRfc3339, shortHumanDuration } from '../../../agent/protocol/go-time.js';

// Expected values were printed by Go 1.26 (time.ParseDuration, time.Parse(time.RFC3339, …)).

const DURATIONS: [string, string | null][] = [
  ['0', '0'],
  ['24h', '86400000000000'],
  ['1h30m', '5400000000000'],
  ['1.5h', '5400000000000'],
  ['90m', '5400000000000'],
  ['1h30m10s', '5410000000000'],
  ['500ms', '500000000'],
  ['1us', '1000'],
  ['1µs', '1000'],
  ['1μs', '1000'],
  ['1ns', '1'],
  ['-1h', '-3600000000000'],
  ['+1h', '3600000000000'],
  ['.5h', '1800000000000'],
  ['1.h', '3600000000000'],
  ['00h', '0'],
  ['0s', '0'],
  ['-0', '0'],
  ['2562047h', '9223369200000000000'],
  ['', null],
  [' 1h', null],
  ['h', null],
  ['1', null],
  ['1x', null],
  ['1h1', null],
  ['3000000h', null],
  ['2562048h', null],
  ['1e3h', null],
  ['1H', null],
  ['1d', null],
];

for (const [input, want] of DURATIONS) {
  test(`${want === null ? 'invalid' : 'valid'}: Go duration ${JSON.stringify(input)}`, () => {
    if (want === null) assert.throws(() => parseGoDuration(input), GoParseError);
    else assert.equal(parseGoDuration(input).toString(), want);
  });
}

const TIMES: [string, number | null][] = [
  ['2024-01-02T03:04:05Z', 1704164645000],
  ['2024-01-02T03:04:05.123456789Z', 1704164645123],
  ['2024-01-02T03:04:05.1234567891234Z', 1704164645123],
  ['2024-01-02T03:04:05,5Z', 1704164645500],
  ['2024-01-02T3:04:05Z', 1704164645000],
  ['2024-01-02T03:04:05+01:00', 1704161045000],
  ['2024-01-02T03:04:05-07:30', 1704191645000],
  ['2024-01-02T03:04:05+24:00', 1704078245000],
  ['2024-01-02T03:04:05+23:60', 1704078245000],
  ['2024-02-29T00:00:00Z', 1709164800000],
  ['2024-01-02T03:04:05+25:00', null],
  ['2024-01-02t03:04:05Z', null],
  ['2024-01-02T03:04:05z', null],
  ['2024-01-02', null],
  ['2024-02-30T00:00:00Z', null],
  ['2023-02-29T00:00:00Z', null],
  ['2024-01-02T24:00:00Z', null],
  ['2024-01-02T23:60:00Z', null],
  ['2024-01-02T23:59:60Z', null],
  ['2024-1-02T03:04:05Z', null],
  [' 2024-01-02T03:04:05Z', null],
  ['2024-01-02T03:04:05Z ', null],
  ['2024-01-02T03:04:05', null],
  ['2024-01-02T03:04:05.Z', null],
  ['2024-01-02T03:04:05+0100', null],
  ['+2024-01-02T03:04:05Z', null],
  ['20240-01-02T03:04:05Z', null],
  ['never', null],
];

for (const [input, want] of TIMES) {
  test(`${want === null ? 'unparseable' : 'parseable'}: expiration ${JSON.stringify(input)}`, () => {
    assert.equal(parseGoRfc3339(input), want ?? undefined);
  });
}

test('valid: year 0000 parses (Go accepts years 0-9999)', () => {
  assert.equal(parseGoRfc3339('0000-01-01T00:00:00Z'), -62167219200000);
});

test('format: RFC 3339 in UTC, whole seconds, as Go prints it', () => {
  assert.equal(formatRfc3339Utc(1704164645999), '2024-01-02T03:04:05Z');
});

test('ShortHumanDuration: kubeadm TTL column', () => {
  const cases: [number, string][] = [
    [-2000, '<invalid>'],
    [-1500, '0s'],
    [0, '0s'],
    [59_999, '59s'],
    [60_000, '1m'],
    [3_599_999, '59m'],
    [3_600_000, '1h'],
    [86_399_999, '23h'],
    [86_400_000, '1d'],
    [364 * 86_400_000, '364d'],
    [365 * 86_400_000, '1y'],
  ];
  for (const [ms, want] of cases) assert.equal(shortHumanDuration(ms), want, `${ms} ms`);
});
