// SPDX-License-Identifier: LGPL-2.1-or-later
//
// What shiftd has on one bus: its runs, its agents, the decisions waiting for
// a human. Plain GJS (Gio and GLib only, no Shell imports), so the tests run
// it in gjs against a real daemon.
//
// It follows the daemon live: org.freedesktop.DBus.ObjectManager for what
// exists (GetManagedObjects once, then InterfacesAdded), PropertiesChanged for
// what changes, and the bus's own NameOwnerChanged (a name watch) for the
// daemon leaving and coming back. It never polls.
//
// On the system bus the daemon's signals carry no content (DESIGN.md, "Who
// may do what"): InterfacesAdded shows a run's Task, Summary, Question... as
// empty, and PropertiesChanged names them without values. The model then
// reads them with a call (Properties.GetAll / Get), which the daemon answers
// with the caller's own rights. A run this user may not read keeps an empty
// Task and stays out of every list. On the session bus the signals carry
// everything and no call is made.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';

export const BUS_NAME = 'org.shiftd.Shift1';
export const MANAGER_PATH = '/org/shiftd/Shift1';
export const MANAGER_IFACE = 'org.shiftd.Shift1.Manager';
export const RUN_IFACE = 'org.shiftd.Shift1.Run';
export const AGENT_IFACE = 'org.shiftd.Shift1.Agent';
const OM_IFACE = 'org.freedesktop.DBus.ObjectManager';
const PROPS_IFACE = 'org.freedesktop.DBus.Properties';

export const LIVE_STATES = ['queued', 'running', 'waiting'];
export const FINAL_STATES = ['done', 'idle', 'failed', 'cancelled'];

// Finished runs kept in memory; the daemon keeps the rest on record.
const KEEP_FINISHED = 50;
// Answer and SetEnabled may wait for polkit to ask for a password.
const INTERACTIVE_TIMEOUT_MS = 120000;
const CALL_TIMEOUT_MS = 25000;

/**
 * One run, as the daemon describes it. Properties keep their D-Bus names
 * in `props`; the getters give the ones the desktop shows.
 */
export class Run {
    /**
     * @param {string} path the run's object path
     * @param {object} props its properties, unpacked
     */
    constructor(path, props) {
        this.path = path;
        this.props = {...props};
    }

    get name() {
        return this.props.Name ?? '';
    }

    get agent() {
        return this.props.Agent ?? '';
    }

    get task() {
        return this.props.Task ?? '';
    }

    get state() {
        return this.props.State ?? '';
    }

    get summary() {
        return this.props.Summary ?? '';
    }

    get result() {
        return this.props.Result ?? '';
    }

    get error() {
        return this.props.Error ?? '';
    }

    get question() {
        return this.props.Question ?? '';
    }

    get choices() {
        return this.props.Choices ?? [];
    }

    get owner() {
        return this.props.Owner ?? 0;
    }

    get createdAt() {
        return this.props.CreatedAt ?? 0;
    }

    get startedAt() {
        return this.props.StartedAt ?? 0;
    }

    get updatedAt() {
        return this.props.UpdatedAt ?? 0;
    }

    get finishedAt() {
        return this.props.FinishedAt ?? 0;
    }

    get decisionDeadline() {
        return this.props.DecisionDeadline ?? 0;
    }

    /** Whether this user may read the run: a run's task is never empty. */
    get readable() {
        return this.task !== '';
    }

    get live() {
        return LIVE_STATES.includes(this.state);
    }

    get finished() {
        return FINAL_STATES.includes(this.state);
    }

    /**
     * Waiting for a human (not for a child run, which leaves Question empty)
     * and readable, so this user may see the question.
     */
    get pendingDecision() {
        return this.state === 'waiting' && this.readable &&
            (this.question !== '' || this.choices.length > 0);
    }
}

/** One agent. Agent properties are public: signals carry them on both buses. */
export class Agent {
    /**
     * @param {string} path the agent's object path
     * @param {object} props its properties, unpacked
     */
    constructor(path, props) {
        this.path = path;
        this.props = {...props};
    }

    get name() {
        return this.props.Name ?? '';
    }

    get description() {
        return this.props.Description ?? '';
    }

    get schedule() {
        return this.props.Schedule ?? '';
    }

    get enabled() {
        return this.props.Enabled ?? false;
    }

    get nextWakeAt() {
        return this.props.NextWakeAt ?? 0;
    }

    get lastRunAt() {
        return this.props.LastRunAt ?? 0;
    }

    get deferred() {
        return this.props.Deferred ?? '';
    }

    /** The built-in `default` agent is the front door, not a standing agent. */
    get standing() {
        return this.name !== 'default';
    }
}

/**
 * @param {GLib.Variant} dict an a{sv}
 * @returns {object} the dictionary with each value unpacked
 */
function unpackProps(dict) {
    const out = {};
    for (const [key, value] of Object.entries(dict.deepUnpack()))
        out[key] = value instanceof GLib.Variant ? value.recursiveUnpack() : value;
    return out;
}

/**
 * A Gio call as a promise.
 *
 * @param {Gio.DBusConnection} connection the bus
 * @param {string} path object path
 * @param {string} iface interface
 * @param {string} method member
 * @param {GLib.Variant|null} params arguments
 * @param {object} [options] flags, timeout
 * @returns {Promise<GLib.Variant>} the reply
 */
function call(connection, path, iface, method, params, options = {}) {
    return new Promise((resolve, reject) => {
        connection.call(BUS_NAME, path, iface, method, params, null,
            options.flags ?? Gio.DBusCallFlags.NO_AUTO_START,
            options.timeout ?? CALL_TIMEOUT_MS, options.cancellable ?? null,
            (conn, res) => {
                try {
                    resolve(conn.call_finish(res));
                } catch (e) {
                    reject(e);
                }
            });
    });
}

/**
 * The sentence of a D-Bus error, without GDBus's "GDBus.Error:NAME: " prefix.
 *
 * @param {Error} error what a call threw
 * @returns {string} the daemon's own sentence
 */
export function errorMessage(error) {
    if (error instanceof GLib.Error) {
        if (Gio.DBusError.is_remote_error(error))
            Gio.DBusError.strip_remote_error(error);
        return error.message;
    }
    return String(error?.message ?? error);
}

/**
 * @param {Error} error what a call threw
 * @returns {string|null} the D-Bus error name, e.g.
 *   org.shiftd.Shift1.Error.NotWaiting
 */
export function errorName(error) {
    if (error instanceof GLib.Error && Gio.DBusError.is_remote_error(error))
        return Gio.DBusError.get_remote_error(error);
    return null;
}

/**
 * What shiftd has on one bus, kept up to date. Connect to 'changed' (no
 * arguments) to hear of any change; read the getters for the rest.
 */
export class ShiftdModel {
    /**
     * @param {object} [params] where to look
     * @param {Gio.BusType} [params.busType] SESSION (the default) or SYSTEM:
     *   the bus that DBUS_SESSION_BUS_ADDRESS / DBUS_SYSTEM_BUS_ADDRESS name
     * @param {string} [params.label] a name for logs ("system", "session")
     */
    constructor({busType = Gio.BusType.SESSION, label = ''} = {}) {
        this._busType = busType;
        this._connection = null;
        this.label = label || (busType === Gio.BusType.SYSTEM ? 'system' : 'session');
        this._handlers = new Map();
        this._nextHandlerId = 1;
        this._subscriptions = [];
        this._watchId = 0;
        this._cancellable = new Gio.Cancellable();
        this._closedId = 0;
        this._destroyed = false;
        this._reset();
    }

    _reset() {
        this._owner = null; // the daemon's unique name while it is on the bus
        this._loaded = false; // GetManagedObjects has answered for this owner
        this._generation = (this._generation ?? 0) + 1; // stale replies are dropped
        this._runs = new Map();
        this._agents = new Map();
        this._manager = {};
    }

    // --- change notification (no Shell, no GObject: a few lines of our own) ---

    /**
     * @param {string} signal 'changed'
     * @param {Function} callback called with the model
     * @returns {number} an id for disconnect()
     */
    connect(signal, callback) {
        const id = this._nextHandlerId++;
        this._handlers.set(id, {signal, callback});
        return id;
    }

    /** @param {number} id what connect() gave */
    disconnect(id) {
        this._handlers.delete(id);
    }

    _emit(signal) {
        for (const {signal: s, callback} of [...this._handlers.values()]) {
            if (s !== signal)
                continue;
            try {
                callback(this);
            } catch (e) {
                logError(e, `shiftd model (${this.label}): a '${signal}' handler failed`);
            }
        }
    }

    _changed() {
        if (!this._destroyed)
            this._emit('changed');
    }

    // --- life cycle ---

    /** Starts following the daemon: at once if it is on the bus, else when it comes. */
    start() {
        Gio.bus_get(this._busType, this._cancellable, (o, res) => {
            try {
                this._connection = Gio.bus_get_finish(res);
            } catch (e) {
                if (!e.matches(Gio.IOErrorEnum, Gio.IOErrorEnum.CANCELLED))
                    console.warn(`shiftd: no ${this.label} bus: ${e.message}`);
                return;
            }
            this._watch();
        });
    }

    _watch() {
        if (this._destroyed)
            return;
        const conn = this._connection;
        // GDBus's shared bus connections end the process when the bus goes
        // (the Shell's too); should this one close all the same, the daemon
        // is gone with it.
        this._closedId = conn.connect('closed', () => this._vanished());
        // Signals from the daemon only, and only once its objects are read: what
        // comes before GetManagedObjects' reply is older than the reply.
        const subscribe = (iface, member, handler) => {
            this._subscriptions.push(conn.signal_subscribe(BUS_NAME, iface, member, null, null,
                Gio.DBusSignalFlags.NONE, (c, sender, path, i, m, params) => {
                    if (this._loaded && sender === this._owner)
                        handler(path, params);
                }));
        };
        subscribe(OM_IFACE, 'InterfacesAdded', (path, params) => {
            if (path === MANAGER_PATH)
                this._onInterfacesAdded(params.get_child_value(0).unpack(), params.get_child_value(1));
        });
        subscribe(OM_IFACE, 'InterfacesRemoved', (path, params) => {
            if (path === MANAGER_PATH)
                this._onInterfacesRemoved(...params.deepUnpack());
        });
        subscribe(PROPS_IFACE, 'PropertiesChanged', (path, params) => {
            if (path === MANAGER_PATH || path.startsWith(`${MANAGER_PATH}/`))
                this._onPropertiesChanged(path, params);
        });
        this._watchId = Gio.bus_watch_name_on_connection(conn, BUS_NAME, Gio.BusNameWatcherFlags.NONE,
            (c, name, owner) => this._appeared(owner),
            () => this._vanished());
    }

    /** Stops following; no 'changed' is emitted after this. */
    destroy() {
        this._destroyed = true;
        this._cancellable.cancel();
        if (this._watchId)
            Gio.bus_unwatch_name(this._watchId);
        this._watchId = 0;
        if (this._connection) {
            for (const id of this._subscriptions)
                this._connection.signal_unsubscribe(id);
            if (this._closedId)
                this._connection.disconnect(this._closedId);
        }
        this._subscriptions = [];
        this._closedId = 0;
        this._handlers.clear();
        this._reset();
    }

    _appeared(owner) {
        // A new owner (a restart that the watch saw as one change) starts afresh.
        this._reset();
        this._owner = owner;
        const generation = this._generation;
        this._load(generation).catch(e => {
            if (generation !== this._generation || this._destroyed)
                return;
            console.warn(`shiftd (${this.label}): cannot read the daemon's objects: ${errorMessage(e)}`);
        });
    }

    _vanished() {
        const had = this._owner !== null || this._loaded;
        this._reset();
        if (had)
            this._changed();
    }

    async _load(generation) {
        const conn = this._connection;
        const opts = {cancellable: this._cancellable};
        // Signals that come before the snapshot's reply are older than it and
        // are ignored (_loaded is false); those after it are newer and applied.
        const manager = await call(conn, MANAGER_PATH, PROPS_IFACE, 'GetAll',
            new GLib.Variant('(s)', [MANAGER_IFACE]), opts);
        if (generation !== this._generation)
            return;
        this._manager = unpackProps(manager.get_child_value(0));
        const reply = await call(conn, MANAGER_PATH, OM_IFACE, 'GetManagedObjects', null, opts);
        if (generation !== this._generation)
            return;
        const objects = reply.get_child_value(0);
        for (let i = 0; i < objects.n_children(); i++) {
            const entry = objects.get_child_value(i);
            this._addObject(entry.get_child_value(0).unpack(), entry.get_child_value(1), false);
        }
        this._pruneFinished();
        this._loaded = true;
        this._changed();
    }

    // --- signals ---

    _onInterfacesAdded(path, interfaces) {
        if (this._addObject(path, interfaces, true))
            this._changed();
    }

    /**
     * @param {string} path object path
     * @param {GLib.Variant} interfaces a{sa{sv}}
     * @param {boolean} fromSignal whether a signal (content may be withheld) or
     *   a call (content as this user may read it) told of it
     * @returns {boolean} whether a run or agent was added
     */
    _addObject(path, interfaces, fromSignal) {
        const ifaces = {};
        for (let i = 0; i < interfaces.n_children(); i++) {
            const entry = interfaces.get_child_value(i);
            ifaces[entry.get_child_value(0).unpack()] = entry.get_child_value(1);
        }
        if (ifaces[RUN_IFACE]) {
            const run = new Run(path, unpackProps(ifaces[RUN_IFACE]));
            this._runs.set(path, run);
            // On the system bus the announcement withheld the content.
            if (fromSignal && !run.readable)
                this._fetchAll(run);
            if (fromSignal && run.finished)
                this._pruneFinished();
            return true;
        }
        if (ifaces[AGENT_IFACE]) {
            this._agents.set(path, new Agent(path, unpackProps(ifaces[AGENT_IFACE])));
            return true;
        }
        return false;
    }

    _onInterfacesRemoved(path, interfaces) {
        let changed = false;
        if (interfaces.includes(RUN_IFACE))
            changed = this._runs.delete(path) || changed;
        if (interfaces.includes(AGENT_IFACE))
            changed = this._agents.delete(path) || changed;
        if (changed)
            this._changed();
    }

    _onPropertiesChanged(path, params) {
        const iface = params.get_child_value(0).unpack();
        const values = unpackProps(params.get_child_value(1));
        const invalidated = params.get_child_value(2).deepUnpack();
        let target;
        if (path === MANAGER_PATH && iface === MANAGER_IFACE)
            target = this._manager;
        else if (iface === RUN_IFACE)
            target = this._runs.get(path)?.props;
        else if (iface === AGENT_IFACE)
            target = this._agents.get(path)?.props;
        if (!target)
            return;
        Object.assign(target, values);
        const run = iface === RUN_IFACE ? this._runs.get(path) : null;
        // A run not yet readable has its GetAll on the way, whose reply is
        // newer than this signal; one this user may not read stays so.
        if (invalidated.length > 0 && run?.readable)
            this._fetchAll(run);
        if (run?.finished && 'State' in values)
            this._pruneFinished();
        this._changed();
    }

    // --- content by call (the system bus) ---

    _fetchAll(run) {
        const generation = this._generation;
        call(this._connection, run.path, PROPS_IFACE, 'GetAll', new GLib.Variant('(s)', [RUN_IFACE]),
            {cancellable: this._cancellable}).then(reply => {
            if (generation !== this._generation || this._runs.get(run.path) !== run)
                return;
            Object.assign(run.props, unpackProps(reply.get_child_value(0)));
            this._changed();
        }).catch(e => this._fetchFailed(generation, run, e));
    }

    _fetchFailed(generation, run, e) {
        if (generation !== this._generation || this._destroyed)
            return;
        console.warn(`shiftd (${this.label}): cannot read ${run.name}: ${errorMessage(e)}`);
    }

    _pruneFinished() {
        const finished = [...this._runs.values()].filter(r => r.finished);
        if (finished.length <= KEEP_FINISHED)
            return;
        finished.sort((a, b) => b.finishedAt - a.finishedAt);
        for (const run of finished.slice(KEEP_FINISHED))
            this._runs.delete(run.path);
    }

    // --- what the desktop reads ---

    /** The daemon is on the bus and its objects are read. */
    get present() {
        return this._loaded;
    }

    /** 'system' or 'user' (the daemon's Mode), '' while absent. */
    get mode() {
        return this._manager.Mode ?? '';
    }

    get version() {
        return this._manager.Version ?? '';
    }

    get connection() {
        return this._connection;
    }

    /** @returns {Run[]} every run known, readable or not */
    get runs() {
        return [...this._runs.values()];
    }

    /**
     * @param {string} name a run's name
     * @returns {Run|undefined} that run, if listed
     */
    runByName(name) {
        return this.runs.find(r => r.name === name);
    }

    /** @returns {Run[]} runs waiting for this user's decision, oldest first */
    get pendingDecisions() {
        return this.runs.filter(r => r.pendingDecision)
            .sort((a, b) => a.updatedAt - b.updatedAt || a.createdAt - b.createdAt);
    }

    /** @returns {Run[]} readable live runs that are not a pending decision, oldest first */
    get liveRuns() {
        return this.runs.filter(r => r.readable && r.live && !r.pendingDecision)
            .sort((a, b) => a.createdAt - b.createdAt);
    }

    /** @returns {number} readable runs queued, running or waiting */
    get activeCount() {
        return this.runs.filter(r => r.readable && r.live).length;
    }

    /**
     * @param {number} [limit] how many
     * @returns {Run[]} the last finished readable runs, newest first
     */
    recentFinished(limit = 5) {
        return this.runs.filter(r => r.readable && r.finished)
            .sort((a, b) => b.finishedAt - a.finishedAt)
            .slice(0, limit);
    }

    /** @returns {Agent[]} standing agents, by name */
    get agents() {
        return [...this._agents.values()].filter(a => a.standing)
            .sort((a, b) => a.name.localeCompare(b.name));
    }

    // --- calls ---

    /**
     * Answers a run's question.
     *
     * @param {Run|string} run the run or its path
     * @param {string} choice one of its Choices (or free text when it has none)
     * @returns {Promise} settles when the answer is durable
     */
    async answer(run, choice) {
        const path = typeof run === 'string' ? run : run.path;
        this._checkPresent();
        await call(this._connection, path, RUN_IFACE, 'Answer', new GLib.Variant('(s)', [choice]),
            {flags: Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION, timeout: INTERACTIVE_TIMEOUT_MS});
    }

    /**
     * Arms or disarms a standing agent's schedule.
     *
     * @param {Agent|string} agent the agent or its path
     * @param {boolean} enabled on or off
     * @returns {Promise} settles when the change is durable
     */
    async setEnabled(agent, enabled) {
        const path = typeof agent === 'string' ? agent : agent.path;
        this._checkPresent();
        await call(this._connection, path, AGENT_IFACE, 'SetEnabled', new GLib.Variant('(b)', [enabled]),
            {flags: Gio.DBusCallFlags.ALLOW_INTERACTIVE_AUTHORIZATION, timeout: INTERACTIVE_TIMEOUT_MS});
    }

    _checkPresent() {
        if (!this._connection || !this._owner)
            throw new Error(`shiftd is not on the ${this.label} bus`);
    }
}
