package api

import (
	"container/list"
	"sync"

	"github.com/graphql-go/graphql/language/ast"
)

// docCache keeps the parsed documents of recently run queries that passed
// validation, by query text, so a client repeating a query (with other
// variables) skips parsing and validation, which cost most of a small
// query's time. Limits are still checked on every run: they depend on the
// variables. A parsed document is only read by execution, so one may be
// shared by concurrent requests.
type docCache struct {
	mu    sync.Mutex
	max   int // entries
	bytes int // query text held
	limit int // query text allowed
	order *list.List
	byKey map[string]*list.Element
}

type docEntry struct {
	query string
	doc   *ast.Document
}

func newDocCache(entries, textBytes int) *docCache {
	return &docCache{max: entries, limit: textBytes, order: list.New(), byKey: map[string]*list.Element{}}
}

// get returns the cached document of query, or nil.
func (c *docCache) get(query string) *ast.Document {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[query]
	if !ok {
		return nil
	}
	c.order.MoveToFront(el)
	return el.Value.(*docEntry).doc
}

// put caches doc, the validated document of query, dropping the least
// recently used entries to stay within the bounds.
func (c *docCache) put(query string, doc *ast.Document) {
	if len(query) > c.limit/16 {
		return // one huge query must not flush everything else
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[query]; ok {
		return
	}
	c.byKey[query] = c.order.PushFront(&docEntry{query: query, doc: doc})
	c.bytes += len(query)
	for c.order.Len() > c.max || c.bytes > c.limit {
		old := c.order.Back()
		e := old.Value.(*docEntry)
		c.order.Remove(old)
		delete(c.byKey, e.query)
		c.bytes -= len(e.query)
	}
}

// len returns the number of cached documents.
func (c *docCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
