// SPDX-License-Identifier: LGPL-2.1-or-later
//
// shiftd's GNOME Shell extension: a panel indicator for the AI agents that
// shiftd runs. It follows the daemon on the system bus (system mode) and on
// the session bus (user mode), both at once when both run.
//
// Written as an ES module for GNOME Shell 45 and later; meson generates the
// GNOME Shell 43/44 variant from the same files (tools/esm2legacy.py).

import Gettext from 'gettext';
import Gio from 'gi://Gio';

import {Extension} from 'resource:///org/gnome/shell/extensions/extension.js';
import * as Main from 'resource:///org/gnome/shell/ui/main.js';

import {_, DOMAIN} from './format.js';
import {ShiftdIndicator, panelIcon} from './indicator.js';
import {ShiftdModel} from './model.js';

export default class ShiftdExtension extends Extension {
    enable() {
        // The translations are shiftd's own, installed with it (metadata.json
        // says where: meson writes the localedir it installs to).
        if (this.metadata.localedir)
            Gettext.bindtextdomain(DOMAIN, this.metadata.localedir);
        this._models = [
            {model: new ShiftdModel({busType: Gio.BusType.SYSTEM}), label: _('system')},
            {model: new ShiftdModel({busType: Gio.BusType.SESSION}), label: _('session')},
        ];
        this._indicator = new ShiftdIndicator(this._models, panelIcon(this.path));
        Main.panel.addToStatusArea('shiftd', this._indicator);
        this._models.forEach(s => s.model.start());
    }

    disable() {
        this._indicator?.destroy();
        this._indicator = null;
        this._models?.forEach(s => s.model.destroy());
        this._models = null;
    }
}
