// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The words the extension shows for times and states (src/format.js):
//   gjs -m format-test.js DIR_WITH_format.js
// Prints "ok N - what" / "not ok N - what: why"; exits 1 on a failure.

import System from 'system';

const S = 1000000;
const MIN = 60 * S;
const H = 60 * MIN;
const NOW = 1800000000 * S;
let n = 0;
let failures = 0;

/**
 * @param {*} got what came
 * @param {*} expected what should have
 * @param {string} what what is compared
 */
function check(got, expected, what) {
    n++;
    if (JSON.stringify(got) === JSON.stringify(expected)) {
        print(`ok ${n} - ${what}`);
    } else {
        failures++;
        print(`not ok ${n} - ${what}: ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
    }
}

const F = await import(`file://${ARGV[0]}/format.js`);

check([0, 45 * S, -5 * S].map(F.formatDuration), ['0 s', '45 s', '0 s'], 'seconds');
check([MIN, 59 * MIN + 59 * S].map(F.formatDuration), ['1 min', '59 min'], 'minutes');
check([H, H + 5 * MIN, 23 * H + 59 * MIN].map(F.formatDuration), ['1 h', '1 h 5 min', '23 h 59 min'], 'hours');
check([24 * H, 74 * H].map(F.formatDuration), ['1 d', '3 d 2 h'], 'days');

check(F.formatAgo(0, NOW), '', 'never');
check(F.formatAgo(NOW - 2 * S, NOW), 'just now', 'just now');
check(F.formatAgo(NOW - 5 * MIN, NOW), '5 min ago', 'minutes ago');

const run = (state, times) => ({state, createdAt: NOW - H, startedAt: 0, updatedAt: 0, ...times});
check(F.formatElapsed(run('running', {startedAt: NOW - 3 * MIN}), NOW), 'running for 3 min', 'running');
check(F.formatElapsed(run('running', {}), NOW), 'running for 1 h', 'running, not yet started: since created');
check(F.formatElapsed(run('queued', {}), NOW), 'queued for 1 h', 'queued');
check(F.formatElapsed(run('waiting', {updatedAt: NOW - 2 * MIN}), NOW), 'waiting for 2 min',
    'waiting: since it began to wait');

const agent = props => ({enabled: true, deferred: '', nextWakeAt: 0, schedule: 'every 15min', ...props});
check(F.formatNextWake(agent({nextWakeAt: NOW + 12 * MIN}), NOW), 'next wake in 12 min', 'next wake');
check(F.formatNextWake(agent({nextWakeAt: NOW - S}), NOW), 'waking now', 'due');
check(F.formatNextWake(agent({enabled: false, nextWakeAt: NOW + MIN}), NOW), 'off', 'disabled');
check(F.formatNextWake(agent({deferred: 'on battery', nextWakeAt: NOW + MIN}), NOW), 'held: on battery',
    'deferred');
check(F.formatNextWake(agent({schedule: ''}), NOW), 'no schedule', 'no schedule');
check(F.formatNextWake(agent({}), NOW), 'no wake planned', 'a schedule with no wake');

check(['done', 'idle', 'failed', 'cancelled', 'weird'].map(F.stateText),
    ['done', 'no work', 'failed', 'cancelled', 'weird'], 'states');
check(F.oneLine('\n  first line  \nsecond'), 'first line', 'the first line');
check(F.oneLine('x'.repeat(100), 10), `${'x'.repeat(9)}…`, 'cut with an ellipsis');
check(F.oneLine(undefined), '', 'nothing');

print(`# ${n - failures} passed, ${failures} failed`);
System.exit(failures ? 1 : 0);
