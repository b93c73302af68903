// SPDX-License-Identifier: LGPL-2.1-or-later
//
// The extension's model against a live shiftd (run by test_model.py):
//   gjs -m model-test.js session|system esm|legacy MODEL_DIR
// Prints "ok N - what" / "not ok N - what: why" per check; asks the driver
// for what only it can do (stop, kill and start the daemon; a run of another
// uid) with "@@ctl COMMAND JSON" lines, and reads its JSON answer on stdin.

import Gio from 'gi://Gio';
import GLib from 'gi://GLib';
import System from 'system';

const [busKind, flavour, modelDir] = ARGV;
const otherUid = GLib.getenv('SHIFTD_TEST_OTHER_UID') === '1';
const system = busKind === 'system';
const STEP_TIMEOUT = 10;

let Model;
let checks = 0;
let failures = 0;

const stdin = new Gio.DataInputStream({
    base_stream: new Gio.UnixInputStream({fd: 0, close_fd: false}),
});

/**
 * Asks the driver to do something and waits for its answer.
 *
 * @param {string} command what to do
 * @param {object} [arg] its argument
 * @returns {Promise<*>} the driver's answer
 */
function ctl(command, arg = {}) {
    print(`@@ctl ${command} ${JSON.stringify(arg)}`);
    return new Promise((resolve, reject) => {
        stdin.read_line_async(GLib.PRIORITY_DEFAULT, null, (s, res) => {
            try {
                const [line] = stdin.read_line_finish_utf8(res);
                const reply = JSON.parse(line);
                if ('error' in reply)
                    reject(new Error(`${command}: ${reply.error}`));
                else
                    resolve(reply.ok);
            } catch (e) {
                reject(e);
            }
        });
    });
}

/**
 * Waits until `predicate` holds, looking again at each change of the model.
 *
 * @param {object} model the model
 * @param {Function} predicate what to wait for; its truthy value is returned
 * @param {string} what said when it times out
 * @param {number} [timeout] seconds
 * @returns {Promise<*>} the predicate's value
 */
function waitFor(model, predicate, what, timeout = STEP_TIMEOUT) {
    return new Promise((resolve, reject) => {
        let id = 0;
        let timer = 0;
        const finish = (fn, value) => {
            model.disconnect(id);
            GLib.source_remove(timer);
            fn(value);
        };
        const check = () => {
            let value;
            try {
                value = predicate();
            } catch (e) {
                finish(reject, e);
                return;
            }
            if (value)
                finish(resolve, value);
        };
        id = model.connect('changed', check);
        timer = GLib.timeout_add(GLib.PRIORITY_DEFAULT, timeout * 1000, () => {
            timer = 0;
            model.disconnect(id);
            reject(new Error(`timed out after ${timeout} s waiting for ${what}`));
            return GLib.SOURCE_REMOVE;
        });
        check();
    });
}

/**
 * @param {*} a what came
 * @param {*} b what was expected
 * @param {string} what what is compared
 */
function assertEqual(a, b, what) {
    if (JSON.stringify(a) !== JSON.stringify(b))
        throw new Error(`${what}: ${JSON.stringify(a)}, expected ${JSON.stringify(b)}`);
}

/**
 * @param {*} value must be truthy
 * @param {string} what what is asserted
 */
function assert(value, what) {
    if (!value)
        throw new Error(what);
}

/**
 * @param {object} model the model
 * @param {string} task the task
 * @returns {Promise<string[]>} name and path of a run started by this process
 *   (its uid)
 */
async function startRun(model, task) {
    const reply = await new Promise((resolve, reject) => {
        model.connection.call(Model.BUS_NAME, Model.MANAGER_PATH, Model.MANAGER_IFACE, 'StartRun',
            new GLib.Variant('(ssa{sv})', ['', task, {}]), null, Gio.DBusCallFlags.NONE, 10000, null,
            (c, res) => {
                try {
                    resolve(c.call_finish(res));
                } catch (e) {
                    reject(e);
                }
            });
    });
    return reply.deepUnpack();
}

const byPath = (list, path) => list.find(r => r.path === path);

/**
 * @param {object} model the model
 * @param {string} name a run's name
 * @param {string} result the result it should end with
 * @returns {Promise<object>} the run, once it is done with that result (on the
 *   system bus the result comes by call, a moment after the state)
 */
function finished(model, name, result) {
    return waitFor(model, () => {
        const r = model.runByName(name);
        return r?.state === 'done' && r.result === result && r;
    }, `${name} to be done with result "${result}"`);
}

const tests = [];
const test = (name, fn) => tests.push({name, fn});

test('the daemon is seen at once, with its mode', async model => {
    await waitFor(model, () => model.present, 'the model to read the daemon');
    assertEqual(model.mode, system ? 'system' : 'user', 'Mode');
    assert(model.version !== '', 'a Version');
});

test('standing agents, without the built-in default', model => {
    const agents = model.agents;
    assertEqual(agents.map(a => a.name), ['watch'], 'agent names');
    const [watch] = agents;
    assertEqual(watch.enabled, true, 'Enabled');
    assertEqual(watch.description, 'Watches the build', 'Description');
    assertEqual(watch.schedule, 'every 15min', 'Schedule');
    assert(watch.nextWakeAt > GLib.get_real_time(), `a next wake ahead (${watch.nextWakeAt})`);
});

test('a run appears, changes while it works and ends among the finished', async model => {
    const [name, path] = await startRun(model, 'Take your time scenario:slow');
    const live = await waitFor(model, () => byPath(model.liveRuns, path), 'the run among the live runs');
    assertEqual(live.name, name, 'its name');
    assertEqual(live.agent, 'default', 'its agent');
    assertEqual(live.task, 'Take your time scenario:slow', 'its task (read by call on the system bus)');
    await waitFor(model, () => {
        const r = model.runByName(name);
        return r.state === 'running' && r.summary.includes('asking the model');
    }, 'the run to be running and say so in its summary');
    assert(model.activeCount >= 1, 'an active run is counted');
    // The summary is the content itself, not the state that a reader without
    // rights is shown: on the system bus it comes by call, after the signal.
    const done = await waitFor(model, () => {
        const r = byPath(model.recentFinished(), path);
        return r?.summary === 'slow and done' && r;
    }, 'the run among the finished, with its summary');
    assertEqual(done.state, 'done', 'its state');
    assertEqual(done.result, 'slow and done', 'its result');
    assert(done.finishedAt >= done.startedAt && done.startedAt > 0, 'its times');
    assert(!byPath(model.liveRuns, path), 'no longer live');
    assertEqual(model.activeCount, 0, 'nothing active');
});

test('a question waits, a wrong answer is refused, the answer is taken', async model => {
    const [name, path] = await startRun(model, 'Deploy scenario:ask');
    const run = await waitFor(model, () => byPath(model.pendingDecisions, path), 'the pending decision');
    assertEqual(run.name, name, 'its name');
    assertEqual(run.question, 'Ship it?', 'its question');
    assertEqual(run.choices, ['yes', 'no'], 'its choices');
    assert(!byPath(model.liveRuns, path), 'a decision is not listed again as a live run');
    assert(model.activeCount >= 1, 'a waiting run is active');
    let refused = null;
    try {
        await model.answer(run, 'maybe');
    } catch (e) {
        refused = e;
    }
    assert(refused, 'an answer outside the choices is refused');
    assertEqual(Model.errorName(refused), 'org.shiftd.Shift1.Error.InvalidArgument', 'the error');
    assert(Model.errorMessage(refused).length > 0 && !Model.errorMessage(refused).includes('GDBus.Error'),
        `a plain sentence: ${Model.errorMessage(refused)}`);
    await model.answer(run, 'yes');
    await waitFor(model, () => !byPath(model.pendingDecisions, path), 'the decision to go');
    const done = await finished(model, name, 'yes');
    assertEqual(done.result, 'yes', 'the model saw the answer');
});

test('a free-text question takes any answer', async model => {
    const [name, path] = await startRun(model, 'Pick scenario:free');
    const run = await waitFor(model, () => byPath(model.pendingDecisions, path), 'the pending decision');
    assertEqual(run.question, 'Which branch?', 'its question');
    assertEqual(run.choices, [], 'no choices');
    await model.answer(run, 'release-2');
    const done = await finished(model, name, 'release-2');
    assertEqual(done.state, 'done', 'its state');
});

test(otherUid ? "another user's run stays out of the lists" : 'a run started elsewhere shows too', async model => {
    const [name, path] = await ctl('start-waiting-run', {task: 'Elsewhere scenario:ask'});
    await waitFor(model, () => model.runs.some(r => r.path === path), 'the model to hear of the run');
    // A run of ours started after it: once its content is read, so is the
    // other's (calls are answered in order).
    const [, mine] = await startRun(model, 'Mine scenario:ask');
    await waitFor(model, () => byPath(model.pendingDecisions, mine), 'our own decision');
    const other = model.runs.find(r => r.path === path);
    if (otherUid) {
        assertEqual(other.readable, false, 'readable');
        assertEqual(other.task, '', 'its task');
        assertEqual(other.question, '', 'its question');
        assert(!byPath(model.pendingDecisions, path), 'not a decision for us');
        assert(!byPath(model.liveRuns, path), 'not listed as live');
        assertEqual(model.activeCount, 1, 'only our run counts as active');
    } else {
        assertEqual(other.name, name, 'its name');
        assertEqual(byPath(model.pendingDecisions, path)?.question, 'Ship it?', 'its question');
        await model.answer(other, 'no');
    }
    await model.answer(byPath(model.pendingDecisions, mine), 'no');
    // Another user's run goes on waiting, unseen and uncounted.
    await waitFor(model, () => model.activeCount === 0, 'no active run of ours left');
});

test(otherUid ? 'switching an agent is refused without the right' : 'an agent is switched off and on',
    async model => {
        const [watch] = model.agents;
        if (otherUid) {
            let refused = null;
            try {
                await model.setEnabled(watch, false);
            } catch (e) {
                refused = e;
            }
            assert(refused, 'SetEnabled is refused');
            assertEqual(Model.errorName(refused), 'org.shiftd.Shift1.Error.AccessDenied', 'the error');
            assertEqual(model.agents[0].enabled, true, 'still enabled');
            return;
        }
        await model.setEnabled(watch, false);
        await waitFor(model, () => !model.agents[0].enabled && model.agents[0].nextWakeAt === 0,
            'the agent off, with no next wake');
        await model.setEnabled(watch.path, true);
        await waitFor(model, () => model.agents[0].enabled && model.agents[0].nextWakeAt > 0,
            'the agent on again, with a next wake');
    });

test('the daemon leaves and comes back; a waiting run is still answerable', async model => {
    let changes = 0;
    const id = model.connect('changed', () => changes++);
    const [name, path] = await startRun(model, 'Across a restart scenario:ask');
    await waitFor(model, () => byPath(model.pendingDecisions, path), 'the pending decision');
    await ctl('stop-daemon');
    await waitFor(model, () => !model.present, 'the model to see the daemon go');
    assertEqual([model.runs.length, model.agents.length, model.pendingDecisions.length, model.activeCount],
        [0, 0, 0, 0], 'nothing listed while it is away');
    assertEqual(model.mode, '', 'no mode while it is away');
    await ctl('start-daemon');
    const back = await waitFor(model, () => model.present && byPath(model.pendingDecisions, path),
        'the decision back with the daemon');
    assertEqual([back.name, back.question], [name, 'Ship it?'], 'the same run and question');
    assertEqual(model.agents.map(a => a.name), ['watch'], 'the agents back');
    await model.answer(back, 'yes');
    await waitFor(model, () => model.runByName(name)?.state === 'done', 'the run to finish');
    // Killed, it leaves as well: its name goes with its connection.
    await ctl('kill-daemon');
    await waitFor(model, () => !model.present, 'the model to see the killed daemon go');
    await ctl('start-daemon');
    await waitFor(model, () => model.present && model.runByName(name)?.state === 'done', 'the daemon back again');
    model.disconnect(id);
    assert(changes >= 4, `changes were announced (${changes})`);
});

test('finished runs come newest first, as many as asked', async model => {
    const names = [];
    for (let i = 0; i < 3; i++) {
        // eslint-disable-next-line no-await-in-loop
        const [name] = await startRun(model, `Quick ${i} scenario:quick`);
        // eslint-disable-next-line no-await-in-loop
        await finished(model, name, 'all tidy');
        names.push(name);
    }
    assertEqual(model.recentFinished(2).map(r => r.name), [names[2], names[1]], 'the last two, newest first');
    assertEqual(model.recentFinished(2)[0].summary, 'all tidy', 'the summary of the last');
});

test('destroyed, it says nothing more', async model => {
    model.destroy();
    // destroy() drops the handlers it had, so one connected before it could
    // hear nothing: this one, connected after, hears what a watch or a
    // subscription left behind would still announce.
    let after = 0;
    model.connect('changed', () => after++);
    // A second model on the same connection is the clock: the daemon's going
    // and coming reach both in the order they watch the name, and their calls
    // are answered in order, so once the second has read the daemon again, a
    // destroyed model still following it would have read it too.
    const witness = new Model.ShiftdModel({busType: system ? Gio.BusType.SYSTEM : Gio.BusType.SESSION});
    witness.start();
    try {
        await waitFor(witness, () => witness.present, 'a second model to read the daemon');
        await ctl('stop-daemon');
        await waitFor(witness, () => !witness.present, 'the second model to see the daemon go');
        await ctl('start-daemon');
        await waitFor(witness, () => witness.present && witness.agents.length > 0,
            'the second model to read the daemon again');
    } finally {
        witness.destroy();
    }
    assertEqual(after, 0, "'changed' after destroy()");
    assertEqual([model.present, model.runs.length, model.agents.length], [false, 0, 0],
        'present, runs and agents after destroy()');
});

/** Runs every test in order, on one model. */
async function main() {
    if (flavour === 'legacy') {
        imports.searchPath.unshift(modelDir);
        Model = imports.model;
    } else {
        Model = await import(`file://${modelDir}/model.js`);
    }
    const model = new Model.ShiftdModel({busType: system ? Gio.BusType.SYSTEM : Gio.BusType.SESSION});
    model.start();
    for (const {name, fn} of tests) {
        checks++;
        const t0 = GLib.get_monotonic_time();
        try {
            // eslint-disable-next-line no-await-in-loop
            await fn(model);
            print(`ok ${checks} - ${name} (${((GLib.get_monotonic_time() - t0) / 1e6).toFixed(2)} s)`);
        } catch (e) {
            failures++;
            print(`not ok ${checks} - ${name}: ${e.message}`);
            if (e.stack)
                print(`# ${e.stack.split('\n').join('\n# ')}`);
            if (!model.present && !model._destroyed)
                break; // the rest needs the daemon
        }
    }
}

const loop = new GLib.MainLoop(null, false);
main().catch(e => {
    failures++;
    print(`not ok - the test itself failed: ${e.message}\n# ${e.stack}`);
}).finally(() => loop.quit());
loop.run();
System.exit(failures > 0 ? 1 : 0);
