// GraphiQL for spoor. The page asks for an API key once, keeps it in the
// browser's session storage (never in a cookie or the URL) and sends it as
// "Authorization: Bearer <key>" with every query to /graphql.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import 'graphiql/graphiql.css';

const keyName = 'spoor-api-key';

function fetcher(params) {
  const key = sessionStorage.getItem(keyName) || '';
  return fetch('/graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + key },
    body: JSON.stringify(params),
  }).then((r) => r.json());
}

function KeyBar() {
  const [key, setKey] = React.useState(sessionStorage.getItem(keyName) || '');
  const save = (e) => {
    e.preventDefault();
    sessionStorage.setItem(keyName, key);
    window.location.reload();
  };
  return (
    <form className="spoor-keybar" onSubmit={save}>
      <label>
        API key{' '}
        <input type="password" value={key} autoComplete="off" onChange={(e) => setKey(e.target.value)} />
      </label>{' '}
      <button type="submit">Use key</button>{' '}
      <a href="/explore">Graph explorer</a>
    </form>
  );
}

const defaultQuery = `# spoor GraphQL. Enter your API key above, then run a query.
{
  stats { chain height blocks txs addresses }
}
`;

function App() {
  return (
    <div className="spoor-app">
      <KeyBar />
      <div className="spoor-graphiql">
        <GraphiQL fetcher={fetcher} defaultQuery={defaultQuery} />
      </div>
    </div>
  );
}

createRoot(document.getElementById('root')).render(<App />);
