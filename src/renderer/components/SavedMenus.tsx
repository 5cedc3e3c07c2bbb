// Bookmarks and named views of the open ledger, as filter-bar menus. Both are kept
// per ledger in the app's data folder (never in the ledger file).
import { useState } from 'react';
import { useApp, useAppStore } from '../lib/use-app.tsx';

/**
 * How many values a menu holds or has chosen, as a badge on its button's corner: the
 * button keeps its width as filters are added, so the bar's controls never move.
 */
export function MenuCount({ n, label }: { n: number; label?: string }) {
  if (!n) return null;
  return (
    <>
      <span className="menu-count" aria-hidden="true">
        {n}
      </span>
      <span className="sr-only"> ({label ?? n})</span>
    </>
  );
}

export function BookmarksMenu() {
  const store = useAppStore();
  const bookmarks = useApp((s) => s.bookmarks);
  const st = store.getState();
  return (
    <details className="facet-menu" data-testid="bookmarks-menu">
      <summary>
        Bookmarks
        <MenuCount n={bookmarks.length} />
      </summary>
      <div className="facet-list">
        <p className="muted menu-hint">B marks the selected event; [ and ] go to the previous and next mark.</p>
        <div className="menu-row">
          <button onClick={() => void st.nextBookmark(-1)} disabled={!bookmarks.length}>
            ◀ previous
          </button>
          <button onClick={() => void st.nextBookmark(1)} disabled={!bookmarks.length}>
            next ▶
          </button>
        </div>
        {bookmarks.map((o) => (
          <div className="facet saved" key={o}>
            <button className="link" onClick={() => void st.goToOffset(o)} data-bookmark={o}>
              offset {o}
            </button>
            <button onClick={() => st.toggleBookmark(o)} aria-label={`Remove the bookmark at offset ${o}`}>
              ×
            </button>
          </div>
        ))}
      </div>
    </details>
  );
}

export function ViewsMenu() {
  const store = useAppStore();
  const views = useApp((s) => s.views);
  const st = store.getState();
  const [name, setName] = useState('');
  return (
    <details className="facet-menu" data-testid="views-menu">
      <summary>
        Views
        <MenuCount n={views.length} />
      </summary>
      <div className="facet-list">
        <form
          className="menu-row"
          onSubmit={(e) => {
            e.preventDefault();
            st.saveView(name);
            setName('');
          }}
        >
          <input value={name} onChange={(e) => setName(e.target.value)} placeholder="name of this view" aria-label="Name of the view to save" data-testid="view-name" />
          <button type="submit" disabled={!name.trim()}>
            Save
          </button>
        </form>
        {views.map((v) => (
          <div className="facet saved" key={v.name}>
            <button className="link" onClick={() => void st.applyView(v.view)} data-view={v.name}>
              {v.name}
            </button>
            <button onClick={() => st.deleteView(v.name)} aria-label={`Delete the view ${v.name}`}>
              ×
            </button>
          </div>
        ))}
      </div>
    </details>
  );
}
