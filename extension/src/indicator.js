// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The panel indicator: an icon, a badge with the number of decisions waiting
// for this user, a mark while runs are active; hidden while no shiftd is on
// either bus. Its menu lists the pending decisions first (one button per
// choice, which answers), then live runs, the last finished runs and the
// standing agents with a switch each. Everything comes from the models
// (model.js); nothing here speaks D-Bus but through them.

import Clutter from 'gi://Clutter';
import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import GObject from 'gi://GObject';
import Pango from 'gi://Pango';
import St from 'gi://St';

import * as Main from 'resource:///org/gnome/shell/ui/main.js';
import * as PanelMenu from 'resource:///org/gnome/shell/ui/panelMenu.js';
import * as PopupMenu from 'resource:///org/gnome/shell/ui/popupMenu.js';

import {_, formatAgo, formatElapsed, formatNextWake, oneLine, stateText} from './format.js';
import {errorMessage} from './model.js';

const RECENT_RUNS = 5;

// Items that show and do nothing when clicked (their buttons do). Reactive
// all the same: St draws an unreactive widget as insensitive, greyed out.
const STILL_ITEM = {reactive: true, activate: false, hover: false, can_focus: false};

/**
 * @returns {number} now, µs since the epoch (the daemon's clock)
 */
function now() {
    return GLib.get_real_time();
}

/**
 * A vertical St.BoxLayout on every Shell from 43 on (the `vertical` property
 * gave way to `orientation` in 48; the layout manager has both).
 *
 * @param {object} params St.BoxLayout properties
 * @returns {St.BoxLayout} the box
 */
function vbox(params = {}) {
    const box = new St.BoxLayout(params);
    box.get_layout_manager().orientation = Clutter.Orientation.VERTICAL;
    return box;
}

/**
 * @param {string} text what to show
 * @param {string} styleClass its style
 * @param {boolean} [wrap] wrap long text instead of ellipsizing it
 * @returns {St.Label} the label
 */
function label(text, styleClass, wrap = false) {
    const l = new St.Label({text, style_class: styleClass, x_expand: true});
    if (wrap) {
        l.clutter_text.line_wrap = true;
        l.clutter_text.line_wrap_mode = Pango.WrapMode.WORD_CHAR;
        l.clutter_text.ellipsize = Pango.EllipsizeMode.NONE;
    } else {
        l.clutter_text.ellipsize = Pango.EllipsizeMode.END;
    }
    // Secondary text is dimmed whatever the theme's colours.
    if (['shiftd-meta', 'shiftd-summary', 'shiftd-status'].includes(styleClass))
        l.opacity = 190;
    return l;
}

export const ShiftdIndicator = GObject.registerClass(
class ShiftdIndicator extends PanelMenu.Button {
    /**
     * @param {object[]} sources the buses followed: {model, label}
     * @param {Gio.Icon} gicon the panel icon
     */
    _init(sources, gicon) {
        super._init(0.0, _('AI agents'), false);
        this.add_style_class_name('shiftd-indicator');
        this.menu.actor.add_style_class_name('shiftd-menu');

        const box = new St.BoxLayout({style_class: 'panel-status-indicators-box'});
        this._icon = new St.Icon({gicon, style_class: 'system-status-icon'});
        this._activeMark = new St.Widget({
            style_class: 'shiftd-active',
            visible: false,
            y_align: Clutter.ActorAlign.CENTER,
        });
        this._badge = new St.Label({
            style_class: 'shiftd-badge',
            visible: false,
            y_align: Clutter.ActorAlign.CENTER,
        });
        box.add_child(this._icon);
        box.add_child(this._activeMark);
        box.add_child(this._badge);
        this.add_child(box);

        this._sources = sources;
        this._handlerIds = sources.map(s => s.model.connect('changed', () => this._queueSync()));
        this._syncId = 0;
        this._tickId = 0;
        this._tickers = [];
        this._answering = new Set(); // paths of runs whose answer is on its way
        this._destroyed = false;

        this.menu.connect('open-state-changed', (menu, open) => {
            if (open) {
                this._sync();
                this._startTicking();
            } else {
                this._stopTicking();
            }
        });
        this.connect('destroy', () => this._onDestroyed());
        this._sync();
    }

    _onDestroyed() {
        this._destroyed = true;
        this._sources.forEach((s, i) => s.model.disconnect(this._handlerIds[i]));
        this._handlerIds = [];
        if (this._syncId)
            GLib.source_remove(this._syncId);
        this._syncId = 0;
        this._stopTicking();
    }

    _queueSync() {
        // An answer may come back after the extension was disabled.
        if (this._syncId || this._destroyed)
            return;
        this._syncId = GLib.idle_add(GLib.PRIORITY_DEFAULT_IDLE, () => {
            this._syncId = 0;
            this._sync();
            return GLib.SOURCE_REMOVE;
        });
    }

    /** The number of decisions shown on the badge. */
    get pendingCount() {
        return this._present().reduce((n, s) => n + s.model.pendingDecisions.length, 0);
    }

    _present() {
        return this._sources.filter(s => s.model.present);
    }

    _sync() {
        const present = this._present();
        if (present.length === 0 && this.menu.isOpen)
            this.menu.close();
        this.visible = present.length > 0;

        const pending = this.pendingCount;
        this._badge.text = String(pending);
        this._badge.visible = pending > 0;
        const active = present.reduce((n, s) => n + s.model.activeCount, 0);
        this._activeMark.visible = active > 0;
        this.accessible_name = pending > 0
            ? _('AI agents: decisions are waiting')
            : _('AI agents');

        this._rebuildMenu(present);
    }

    // --- the menu ---

    _rebuildMenu(present) {
        this.menu.removeAll();
        this._tickers = [];
        const tagged = present.length > 1;
        const tag = s => tagged ? s.label : '';

        const decisions = present.flatMap(s => s.model.pendingDecisions.map(run => ({s, run})));
        if (decisions.length > 0) {
            this._heading(_('Waiting for you'));
            for (const {s, run} of decisions)
                this.menu.addMenuItem(this._decisionItem(s.model, run, tag(s)));
        }

        const live = present.flatMap(s => s.model.liveRuns.map(run => ({s, run})));
        if (live.length > 0) {
            this._heading(_('Running'));
            for (const {s, run} of live)
                this.menu.addMenuItem(this._runItem(run, tag(s)));
        }

        const recent = present.flatMap(s => s.model.recentFinished(RECENT_RUNS).map(run => ({s, run})))
            .sort((a, b) => b.run.finishedAt - a.run.finishedAt)
            .slice(0, RECENT_RUNS);
        if (recent.length > 0) {
            this._heading(_('Recently finished'));
            for (const {s, run} of recent)
                this.menu.addMenuItem(this._runItem(run, tag(s)));
        }

        if (decisions.length + live.length + recent.length === 0) {
            const item = new PopupMenu.PopupMenuItem(_('No runs yet'), {reactive: false});
            this.menu.addMenuItem(item);
        }

        const agents = present.flatMap(s => s.model.agents.map(agent => ({s, agent})));
        if (agents.length > 0) {
            this._heading(_('Standing agents'));
            for (const {s, agent} of agents)
                this.menu.addMenuItem(this._agentItem(s.model, agent, tag(s)));
        }
    }

    _heading(text) {
        this.menu.addMenuItem(new PopupMenu.PopupSeparatorMenuItem(text));
    }

    _tick(fn) {
        fn();
        this._tickers.push(fn);
    }

    _decisionItem(model, run, tag) {
        const item = new PopupMenu.PopupBaseMenuItem({...STILL_ITEM, style_class: 'shiftd-decision'});
        const box = vbox({x_expand: true, style_class: 'shiftd-item-box'});
        box.add_child(label(run.question || _('(no question)'), 'shiftd-question', true));
        const meta = label('', 'shiftd-meta');
        this._tick(() => {
            meta.text = [run.agent, run.name, formatElapsed(run, now()), tag].filter(Boolean).join(' · ');
        });
        box.add_child(meta);

        const answering = this._answering.has(run.path);
        const row = new St.BoxLayout({style_class: 'shiftd-choices', x_expand: true});
        if (run.choices.length > 0) {
            for (const choice of run.choices) {
                const button = new St.Button({
                    label: choice,
                    style_class: 'button shiftd-choice',
                    can_focus: true,
                    reactive: !answering,
                    x_expand: false,
                });
                button.connect('clicked', () => this._answer(model, run, choice));
                row.add_child(button);
            }
        } else {
            const entry = new St.Entry({
                style_class: 'shiftd-answer',
                hint_text: _('Type an answer and press Enter'),
                can_focus: true,
                reactive: !answering,
                x_expand: true,
            });
            entry.clutter_text.connect('activate', () => {
                const text = entry.get_text().trim();
                if (text)
                    this._answer(model, run, text);
            });
            row.add_child(entry);
        }
        box.add_child(row);
        if (answering)
            box.add_child(label(_('Answering…'), 'shiftd-meta'));
        item.add_child(box);
        return item;
    }

    _answer(model, run, choice) {
        if (this._answering.has(run.path))
            return;
        this._answering.add(run.path);
        this._queueSync();
        model.answer(run, choice).catch(e => {
            /* Translators: %s is a run's name */
            Main.notifyError(_('Answer to %s not taken').replace('%s', run.name), errorMessage(e));
        }).finally(() => {
            this._answering.delete(run.path);
            this._queueSync();
        });
    }

    _runItem(run, tag) {
        const item = new PopupMenu.PopupBaseMenuItem({...STILL_ITEM, style_class: `shiftd-run shiftd-state-${run.state}`});
        const box = vbox({x_expand: true, style_class: 'shiftd-item-box'});
        // agent · name                        running for 3 min
        // what it is doing now, or how it ended
        const row = new St.BoxLayout({x_expand: true, style_class: 'shiftd-run-row'});
        row.add_child(label([run.agent, run.name, tag].filter(Boolean).join(' · '), 'shiftd-title'));
        const status = label('', 'shiftd-status');
        status.x_expand = false;
        this._tick(() => {
            status.text = run.finished
                ? [stateText(run.state), formatAgo(run.finishedAt, now())].filter(Boolean).join(' · ')
                : formatElapsed(run, now());
        });
        row.add_child(status);
        box.add_child(row);
        const text = run.state === 'failed' && run.error ? run.error : run.summary;
        if (text)
            box.add_child(label(oneLine(text), 'shiftd-summary'));
        item.add_child(box);
        return item;
    }

    _agentItem(model, agent, tag) {
        const item = new PopupMenu.PopupSwitchMenuItem(agent.name, agent.enabled);
        item.add_style_class_name('shiftd-agent');
        // The switch item's label gets a second line under it: the next wake.
        const index = item.get_children().indexOf(item.label);
        item.remove_child(item.label);
        const box = vbox({x_expand: true, style_class: 'shiftd-item-box'});
        box.add_child(item.label);
        const meta = label('', 'shiftd-meta');
        this._tick(() => {
            meta.text = [agent.description, formatNextWake(agent, now()), tag].filter(Boolean).join(' · ');
        });
        box.add_child(meta);
        item.insert_child_at_index(box, index);
        item.connect('toggled', (o, state) => {
            model.setEnabled(agent, state).catch(e => {
                // The switch goes back to what the agent is. Not through
                // `item`: a change meanwhile rebuilt the menu (or disable()
                // destroyed it), and `item` may be gone.
                this._queueSync();
                /* Translators: %s is an agent's name */
                Main.notifyError(_('Cannot switch %s').replace('%s', agent.name), errorMessage(e));
            });
        });
        return item;
    }

    // Elapsed times move on while the menu is open; the bus is not asked.
    _startTicking() {
        if (this._tickId)
            return;
        this._tickId = GLib.timeout_add_seconds(GLib.PRIORITY_DEFAULT, 1, () => {
            this._tickers.forEach(fn => fn());
            return GLib.SOURCE_CONTINUE;
        });
    }

    _stopTicking() {
        if (this._tickId)
            GLib.source_remove(this._tickId);
        this._tickId = 0;
    }
});

/**
 * The icon shipped with the extension.
 *
 * @param {string} dir the extension's directory
 * @returns {Gio.Icon} the panel icon
 */
export function panelIcon(dir) {
    return Gio.FileIcon.new(Gio.File.new_for_path(`${dir}/shiftd-symbolic.svg`));
}
