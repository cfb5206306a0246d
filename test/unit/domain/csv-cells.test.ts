import { csvTextCell, FORMULA_TRIGGERS } from '../../../src/domain';

describe('csvTextCell: a leading quote before a formula character', () => {
  it.each([
    ['=HYPERLINK("http://x")', `'=HYPERLINK("http://x")`],
    ["=cmd|' /C calc'!A0", `'=cmd|' /C calc'!A0`],
    ['+1', "'+1"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\t=1', "'\t=1"],
    ['\r=1', "'\r=1"],
  ])('%j → %j', (input, expected) => {
    expect(csvTextCell(input)).toBe(expected);
  });

  it.each([['SPRING1'], ['a=1'], [' =1'], ["'=1"], ['\n=1'], ['＝1'], ['']])('%j stays as it is', (input) => {
    expect(csvTextCell(input)).toBe(input);
  });

  it('the characters are the six of the contract', () => {
    expect(FORMULA_TRIGGERS).toEqual(['=', '+', '-', '@', '\t', '\r']);
  });
});
