// adal-node's WS-Trust client as it is, against one STS endpoint: prints one JSON line with the
// token type and token it read from the RSTR, or the error it reported.
// Usage: node adal_wstrust.js <endpoint> <appliesTo> <wstrust13|wstrust2005> <username> <password>
'use strict';
require('adal-node');  // the library's entry point initialises it (its version header)
const WSTrustRequest = require('adal-node/lib/wstrust-request');
const log = require('adal-node/lib/log');

const [endpoint, appliesTo, version, username, password] = process.argv.slice(2);
const callContext = {
  _logContext: log.createLogContext('7d6b2a1e-0c4f-4f3e-9a55-1b2c3d4e5f60'),
  options: { http: { proxy: false } },  // 127.0.0.1 only, whatever the environment says
};
new WSTrustRequest(callContext, endpoint, appliesTo, version).acquireToken(username, password, (err, response) => {
  if (err) {
    const detail = typeof response === 'string' ? response : '';
    console.log(JSON.stringify({ error: String(err.message || err), detail }));
    return;
  }
  console.log(JSON.stringify({ tokenType: response.tokenType, token: response.token }));
});
