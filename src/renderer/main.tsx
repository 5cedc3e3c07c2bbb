// The renderer starts here: the same app in Electron (IPC through the preload
// bridge) and in a browser tab served by `ledger-inspector serve` (WebSocket).
import { createRoot } from 'react-dom/client';
import { createClient } from '../shared/contract.ts';
import { App } from './App.tsx';
import { createAppStore } from './lib/store.ts';
import { bridge, ipcTransport, wsTransport } from './lib/transport.ts';
import './styles.css';

const b = bridge();
const client = createClient(b ? ipcTransport(b) : wsTransport());
const store = createAppStore(client);
createRoot(document.getElementById('root')!).render(<App store={store} />);
