// The bridge between the sandboxed renderer and main. No logic lives here.
import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('ledgerInspector', { version: 1 });
