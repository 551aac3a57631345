// Console keyboard shortcuts (no build step). Filled in with the queue and the ticket page.
"use strict";
