// SPDX-License-Identifier: LGPL-2.1-or-later
//
// GNOME Shell 43/44 only: the stand-in for Shell 45's
// resource:///org/gnome/shell/extensions/extension.js, which the legacy build
// imports in its place (tools/esm2legacy.py). Shell 43 calls the module's
// init() with the extension object; the generated extension.js passes it to
// the class's constructor, which gets what Shell 45's Extension would give.
/* exported Extension */

var Extension = class {
    /**
     * @param {object} extension what Shell 43/44 passes to init()
     */
    constructor(extension) {
        this.metadata = extension.metadata;
        this.uuid = extension.uuid;
        this.path = extension.path;
        this.dir = extension.dir;
    }
};
