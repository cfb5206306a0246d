import { preparedStatement } from '../../src/db/sql-text';

describe('preparedStatement', () => {
  test('turns :name parameters into $n once and lines the values up by name; casts are left alone', () => {
    const st = preparedStatement('t_demo', `select :b::int, :a, :b, '::not_a_param', x::text from t where y = :a`, ['a', 'b']);
    expect(st({ b: 7, a: 'x' })).toEqual({
      name: 't_demo',
      text: `select $2::int, $1, $2, '::not_a_param', x::text from t where y = $1`,
      values: ['x', 7],
    });
  });

  test('a name missing from the parameter list, or a listed name never used, throws when defined', () => {
    expect(() => preparedStatement('t_missing', 'select :a, :c', ['a'])).toThrow('t_missing: :c is not among its parameters');
    expect(() => preparedStatement('t_unused', 'select :a', ['a', 'b'])).toThrow('t_unused: parameters never used: b');
  });
});
