import { csvCellValue, csvTextCell as consoleTextCell, parseCsv, toCsv } from '../../console/src/csv';
import { csvTextCell } from '../../src/domain';

const CASES: [string, string][] = [
  ['=HYPERLINK("http://x")', `'=HYPERLINK("http://x")`], ["=cmd|' /C calc'!A0", `'=cmd|' /C calc'!A0`], ['+1', "'+1"], ['-2', "'-2"],
  ['@a', "'@a"], ['\tx', "'\tx"], ['\rx', "'\rx"], ['SPRING1', 'SPRING1'], ['a=1', 'a=1'], [' =1', ' =1'], ["'=1", "'=1"], ['', ''],
];

describe('the console’s copy of the CSV formula guard', () => {
  it.each(CASES)('%j → %j, as the server’s csvTextCell writes it', (input, expected) => {
    expect(consoleTextCell(input)).toBe(expected);
    expect(csvTextCell(input)).toBe(expected);
  });

  it('csvCellValue takes the guard off, and guarding again gives the same cell back', () => {
    for (const [, written] of CASES) expect(consoleTextCell(csvCellValue(written))).toBe(written);
    expect(csvCellValue("'=cmd")).toBe('=cmd');
    expect(csvCellValue("'-DASH")).toBe('-DASH');
    expect(csvCellValue("'plain")).toBe("'plain");
    expect(csvCellValue("'")).toBe("'");
  });
});

describe('toCsv (the usage page’s Export CSV)', () => {
  it('guards text cells, quotes as RFC 4180, and leaves numbers of the number columns alone', () => {
    const rows = [
      ['customer_id', 'email', 'code', 'discount', 'currency'],
      ["=cmd|' /C calc'!A0", '+1@example.com', '-DASH', '-500', 'USD'],
      ['=HYPERLINK("http://x")', '', 'PLAIN', '0', ''],
      ['c,3', '@x', 'PLAIN', '=1+1', 'EUR'],
    ];
    expect(toCsv(rows, ['discount'])).toBe(
      'customer_id,email,code,discount,currency\n' +
        "'=cmd|' /C calc'!A0,'+1@example.com,'-DASH,-500,USD\n" +
        `"'=HYPERLINK(""http://x"")",,PLAIN,0,\n` +
        `"c,3",'@x,PLAIN,'=1+1,EUR\n`,
    );
    expect(toCsv(rows)).toContain("'-DASH,'-500,USD\n");
  });

  it('a file read with parseCsv and csvCellValue is written back as it came', () => {
    const file = 'customer_id,code,discount\n' + `"'=HYPERLINK(""http://x"")",'-DASH,-500\n` + "'@me,PLAIN,0\n";
    const rows = parseCsv(file).map((r) => r.map(csvCellValue));
    expect(rows[1]).toEqual(['=HYPERLINK("http://x")', '-DASH', '-500']);
    expect(toCsv(rows, ['discount'])).toBe(file);
  });
});
