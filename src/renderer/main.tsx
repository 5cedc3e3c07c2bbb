import { createRoot } from 'react-dom/client';

function App() {
  return <main>Ledger Inspector</main>;
}

createRoot(document.getElementById('root')!).render(<App />);
