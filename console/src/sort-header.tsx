/**
 * A sortable column header: a button in the `<th>`, `aria-sort` on the sorted column only
 * (W3C ARIA sortable table). `sort` is the list's sort parameter (`field` or `-field`); a click on
 * the sorted column turns its direction, on another column sorts by it in `first` direction.
 */
export function SortableHeader({
  field,
  label,
  sort,
  first = 'asc',
  onSort,
}: {
  field: string;
  label: string;
  sort: string;
  first?: 'asc' | 'desc';
  onSort: (sort: string) => void;
}) {
  const dir = sort === field ? 'ascending' : sort === `-${field}` ? 'descending' : undefined;
  const next = dir === 'ascending' ? `-${field}` : dir === 'descending' ? field : first === 'asc' ? field : `-${field}`;
  return (
    <th scope="col" aria-sort={dir}>
      <button type="button" className="sort" onClick={() => onSort(next)}>
        {label}
        <span aria-hidden="true">{dir === 'ascending' ? ' ▲' : dir === 'descending' ? ' ▼' : ''}</span>
      </button>
    </th>
  );
}
