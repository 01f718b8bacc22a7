// adal-node's metadata exchange (MEX) reader as it is, against one MEX URL: prints one JSON line with
// the username/password policy it chose (endpoint URL and WS-Trust version), or the error it reported.
// Usage: node adal_mex.js <mex url>
'use strict';
require('adal-node');  // the library's entry point initialises it (its version header)
const Mex = require('adal-node/lib/mex');
const log = require('adal-node/lib/log');

const [url] = process.argv.slice(2);
const callContext = {
  _logContext: log.createLogContext('0b9f6c2e-4d1a-4c3b-8e7f-a1b2c3d4e5f6'),
  options: { http: { proxy: false } },  // 127.0.0.1 only, whatever the environment says
};
const mex = new Mex(callContext, url);
mex.discover((err) => {
  if (err) {
    console.log(JSON.stringify({ error: String(err.message || err) }));
    return;
  }
  console.log(JSON.stringify(mex.usernamePasswordPolicy || {}));
});
