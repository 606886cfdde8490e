/** The CLI's input shaping: CSV (quotes, aliases, lists, booleans), JSON lines with line numbers, flags. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCsv, requestFromFlags, requestsFromCsv, requestsFromJson } from '../../../src/cli/input.js';
import { UsageError } from '../../../src/cli/exit-codes.js';
import { renderTable } from '../../../src/cli/table.js';

const S = '2b8e1a6e-3f0c-4e43-9a5d-5f1f0c2a7b11';
const G = '7d4f9a0c-1b2e-4c3d-8e9f-0a1b2c3d4e5f';

describe('parseCsv', () => {
  it('handles quotes, escaped quotes, commas and newlines inside quotes, CRLF and blank lines', () => {
    const rows = parseCsv('a,b,c\r\n"x, y","say ""hi""","multi\nline"\n\n1,,3\n');
    assert.deepEqual(rows, [
      { cells: ['a', 'b', 'c'], line: 1 },
      { cells: ['x, y', 'say "hi"', 'multi\nline'], line: 2 },
      { cells: ['1', '', '3'], line: 5 },
    ]);
  });
  it('refuses an unterminated quote', () => {
    assert.throws(() => parseCsv('a\n"open'), UsageError);
  });
});

describe('requestsFromCsv', () => {
  it('maps short names and request paths, splits lists on ;, parses booleans, leaves empty cells out', () => {
    const items = requestsFromCsv(
      [
        'server_id,subnet_name,subnet_cidr,gateway_ip,dhcp_enable,fixed_ip,security_group_ids,metadata.team,vpc.id',
        `${S},sn,10.0.1.0/24,10.0.1.254,false,10.0.1.9,${G};${G.toUpperCase()},net,`,
        `${S},,,,,,,,${G}`,
      ].join('\n'),
    );
    assert.deepEqual(items[0], {
      line: 2,
      request: {
        server_id: S,
        subnet: { name: 'sn', cidr: '10.0.1.0/24', gateway_ip: '10.0.1.254', dhcp_enable: false },
        port: { fixed_ip: '10.0.1.9', security_group_ids: [G, G.toUpperCase()] },
        metadata: { team: 'net' },
      },
    });
    assert.deepEqual(items[1], { line: 3, request: { server_id: S, vpc: { id: G } } });
  });
  it('needs a server_id column and well-formed booleans', () => {
    assert.throws(() => requestsFromCsv('subnet_id\nx\n'), /server_id column/);
    assert.throws(() => requestsFromCsv(`server_id,dhcp_enable\n${S},maybe\n`), /line 2: subnet.dhcp_enable must be true or false/);
    assert.throws(() => requestsFromCsv(`server_id\n${S},extra\n`), /line 2/);
  });
});

describe('requestsFromJson', () => {
  it('reads JSON lines with their line numbers, skipping blanks and # comments', () => {
    const items = requestsFromJson(`# header\n{"server_id":"${S}"}\n\n{"server_id":"${G}"}\n`);
    assert.deepEqual(items.map((i) => [i.line, i.request.server_id]), [
      [2, S],
      [4, G],
    ]);
  });
  it('reads a JSON array and {"items": [...]}', () => {
    assert.equal(requestsFromJson(`[{"server_id":"${S}"},{"server_id":"${G}"}]`).length, 2);
    assert.equal(requestsFromJson(`{"items":[{"server_id":"${S}"}]}`).length, 1);
  });
  it('names the line of bad JSON', () => {
    assert.throws(() => requestsFromJson(`{"server_id":"${S}"}\n{oops\n`), /line 2: not valid JSON/);
  });
});

describe('requestFromFlags', () => {
  it('builds the request', () => {
    assert.deepEqual(
      requestFromFlags({ server: S, 'subnet-name': 'a', 'subnet-cidr': '10.0.0.0/24', 'fixed-ip': '10.0.0.5', 'security-group': [`${G},${G}`], metadata: ['k=v=w'] }),
      { server_id: S, subnet: { name: 'a', cidr: '10.0.0.0/24' }, port: { fixed_ip: '10.0.0.5', security_group_ids: [G, G] }, metadata: { k: 'v=w' } },
    );
    assert.deepEqual(requestFromFlags({ server: S, 'vpc-id': G, 'subnet-id': G }), { server_id: S, vpc: { id: G }, subnet: { id: G } });
  });
  it('refuses combinations the API never accepts', () => {
    assert.throws(() => requestFromFlags({}), /--server/);
    assert.throws(() => requestFromFlags({ server: S, 'vpc-id': G, 'vpc-name': 'x' }), /not both/);
    assert.throws(() => requestFromFlags({ server: S, 'vpc-cidr': '10.0.0.0/16' }), /go together/);
    assert.throws(() => requestFromFlags({ server: S, metadata: ['novalue'] }), /key=value/);
  });
});

describe('renderTable', () => {
  it('pads columns, aligns numbers right and cuts long cells', () => {
    const out = renderTable(
      [
        { a: 'x', n: 5 },
        { a: 'y'.repeat(10), n: 123 },
      ],
      [
        { header: 'name', value: (r) => r.a, max: 6 },
        { header: 'n', value: (r) => r.n, align: 'right' },
      ],
    );
    assert.equal(out, ['name      n', '------  ---', 'x         5', 'yyyyy…  123'].join('\n'));
  });
});
