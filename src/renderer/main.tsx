// The renderer starts here: the same app in Electron (IPC through the preload
// bridge) and in a browser tab served by `ledger-inspector serve` (WebSocket).
import { createRoot } from 'react-dom/client';
import { createClient } from '../shared/contract.ts';
import { App } from './App.tsx';
import { createConnectStore } from './lib/connect-store.ts';
import { createMappingStore } from './lib/mapping-store.ts';
import { createAppStore, decodeView, encodeView, type ViewState } from './lib/store.ts';
import { bridge, ipcTransport, wsTransport } from './lib/transport.ts';
import { AppProvider } from './lib/use-app.tsx';
import './styles.css';

const b = bridge();
const client = createClient(b ? ipcTransport(b) : wsTransport());
// The view (ledger, filter, selected offset, panel, replay step) lives in the URL's hash:
// Back and Forward return to earlier views, and a reload or a new tab with the URL comes back to it.
const store = createAppStore(
  client,
  {
    push: (v) => window.history.pushState(v, '', encodeView(v)),
    replace: (v) => window.history.replaceState(v, '', encodeView(v)),
  },
  decodeView(location.hash),
);
window.addEventListener('popstate', (e) => {
  const v = (e.state as ViewState | null) ?? decodeView(location.hash);
  if (!v || !store.getState().info) return;
  void store
    .getState()
    .setQuery(v.q, { history: 'none' })
    .then(() => {
      if (v.o !== undefined) void store.getState().goToOffset(v.o);
    });
});
const mapping = createMappingStore(client, store);
const connect = createConnectStore(client, store);
createRoot(document.getElementById('root')!).render(
  <AppProvider store={store}>
    <App mapping={mapping} connect={connect} />
  </AppProvider>,
);
