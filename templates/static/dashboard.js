/*
 * dashboard.js - live refresh of the status dashboard (/requests).
 *
 * The page works without this script; with it, the counters and the list
 * follow new and changed requests without a reload.  Every few seconds
 * (while the tab is visible) it asks for the same view with live=1 (the
 * #live element's data-live: counters and list alone) and the ETag it
 * holds in If-None-Match: an unchanged dashboard answers 304 with no body.
 * A 200 replaces the contents of #live with the fragment, rendered and
 * escaped by the hub like the page itself.  Nothing else is loaded from
 * anywhere.
 */
(function () {
	"use strict";

	var live = document.getElementById("live");
	var note = document.getElementById("live-note");
	var period = 5000, slowest = 60000, wait = period, timer = null, busy = false;

	if (!live || !live.getAttribute("data-live") || !window.fetch)
		return;
	var url = live.getAttribute("data-live");
	var etag = live.getAttribute("data-etag") || "";

	function say(text) {
		if (note)
			note.textContent = text;
	}

	function clock() {
		return new Date().toISOString().slice(11, 19);
	}

	function later(ms) {
		if (timer !== null)
			clearTimeout(timer);
		timer = document.hidden ? null : setTimeout(poll, ms);
	}

	function poll() {
		timer = null;
		if (busy || document.hidden)
			return;
		busy = true;
		fetch(url, {
			headers: { "If-None-Match": etag },
			cache: "no-store",
			credentials: "same-origin",
			redirect: "manual"
		}).then(function (r) {
			if (r.status === 304)
				return null;
			if (r.type === "opaqueredirect" || r.status === 401 || r.status === 403) {
				say("You are signed out: reload the page to sign in again.");
				wait = 0;
				return null;
			}
			if (r.status !== 200)
				throw new Error("HTTP " + r.status);
			etag = r.headers.get("ETag") || "";
			return r.text();
		}).then(function (html) {
			busy = false;
			if (html !== null && html !== undefined) {
				live.innerHTML = html;
				live.setAttribute("data-etag", etag);
				say("Updated at " + clock() + " UTC. Dates and times in UTC.");
			}
			if (wait === 0)
				return;
			wait = period;
			later(wait);
		}).catch(function () {
			busy = false;
			if (wait === 0)
				return;
			wait = Math.min(wait * 2, slowest);
			say("The hub did not answer; trying again.");
			later(wait);
		});
	}

	document.addEventListener("visibilitychange", function () {
		if (!document.hidden && wait !== 0)
			later(0);
	});
	later(wait);
})();
