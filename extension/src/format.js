// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Words for times and states, in the user's language (gettext domain
// "shiftd"). Plain GJS: no Shell imports, so the tests run it in gjs.

import Gettext from 'gettext';

export const DOMAIN = 'shiftd';

/**
 * @param {string} text a user-visible string
 * @returns {string} its translation
 */
export function _(text) {
    return Gettext.dgettext(DOMAIN, text);
}

/**
 * @param {string} singular the text for one
 * @param {string} plural the text for several
 * @param {number} n how many
 * @returns {string} the translation that fits n
 */
export function ngettext(singular, plural, n) {
    return Gettext.dngettext(DOMAIN, singular, plural, n);
}

const SECOND = 1000000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * A span of time in one or two units: "45 s", "12 min", "1 h 5 min", "3 d 2 h".
 *
 * @param {number} usec microseconds
 * @returns {string} the span in words
 */
export function formatDuration(usec) {
    const span = Math.max(0, usec);
    if (span < MINUTE) {
        const s = Math.floor(span / SECOND);
        return ngettext('%d s', '%d s', s).replace('%d', s);
    }
    if (span < HOUR) {
        const m = Math.floor(span / MINUTE);
        return ngettext('%d min', '%d min', m).replace('%d', m);
    }
    if (span < DAY) {
        const h = Math.floor(span / HOUR);
        const m = Math.floor((span % HOUR) / MINUTE);
        if (m === 0)
            return ngettext('%d h', '%d h', h).replace('%d', h);
        /* Translators: hours and minutes, e.g. "1 h 5 min" */
        return _('%d h %d min').replace('%d', h).replace('%d', m);
    }
    const d = Math.floor(span / DAY);
    const h = Math.floor((span % DAY) / HOUR);
    if (h === 0)
        return ngettext('%d d', '%d d', d).replace('%d', d);
    /* Translators: days and hours, e.g. "3 d 2 h" */
    return _('%d d %d h').replace('%d', d).replace('%d', h);
}

/**
 * @param {number} then a time, µs since the epoch
 * @param {number} now the time now, µs since the epoch
 * @returns {string} "just now", "5 min ago"
 */
export function formatAgo(then, now) {
    if (!then)
        return '';
    if (now - then < 5 * SECOND)
        return _('just now');
    /* Translators: %s is a span of time, e.g. "5 min" */
    return _('%s ago').replace('%s', formatDuration(now - then));
}

/**
 * The state in words.
 *
 * @param {string} state a Run's State
 * @returns {string} the word shown
 */
export function stateText(state) {
    switch (state) {
    case 'queued':
        return _('queued');
    case 'running':
        return _('running');
    case 'waiting':
        return _('waiting');
    case 'done':
        return _('done');
    case 'idle':
        return _('no work');
    case 'failed':
        return _('failed');
    case 'cancelled':
        return _('cancelled');
    default:
        return state;
    }
}

/**
 * How long a live run has been at it: since it started (or was created, while
 * queued), or, waiting, since it began to wait.
 *
 * @param {object} run a model Run
 * @param {number} now µs since the epoch
 * @returns {string} e.g. "running for 3 min"
 */
export function formatElapsed(run, now) {
    if (run.state === 'waiting') {
        /* Translators: %s is a span of time, e.g. "waiting for 3 min" */
        return _('waiting for %s').replace('%s', formatDuration(now - (run.updatedAt || run.createdAt)));
    }
    if (run.state === 'queued') {
        /* Translators: %s is a span of time */
        return _('queued for %s').replace('%s', formatDuration(now - run.createdAt));
    }
    /* Translators: %s is a span of time, e.g. "running for 3 min" */
    return _('running for %s').replace('%s', formatDuration(now - (run.startedAt || run.createdAt)));
}

/**
 * When a standing agent wakes next.
 *
 * @param {object} agent a model Agent
 * @param {number} now µs since the epoch
 * @returns {string} e.g. "next wake in 12 min"
 */
export function formatNextWake(agent, now) {
    if (!agent.enabled)
        return _('off');
    if (agent.deferred) {
        /* Translators: %s says why, e.g. "on battery" */
        return _('held: %s').replace('%s', agent.deferred);
    }
    if (!agent.nextWakeAt)
        return agent.schedule ? _('no wake planned') : _('no schedule');
    if (agent.nextWakeAt <= now)
        return _('waking now');
    /* Translators: %s is a span of time, e.g. "next wake in 12 min" */
    return _('next wake in %s').replace('%s', formatDuration(agent.nextWakeAt - now));
}

/**
 * One line of a run's text for a menu: the first line, cut to `max` characters.
 *
 * @param {string} text any text
 * @param {number} [max] the most characters kept
 * @returns {string} the line
 */
export function oneLine(text, max = 80) {
    const line = (text ?? '').split('\n').find(l => l.trim() !== '') ?? '';
    const trimmed = line.trim();
    return trimmed.length > max ? `${trimmed.slice(0, max - 1)}…` : trimmed;
}
