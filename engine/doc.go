// Package engine is trawl's one owner of River. It builds the River client
// with its queues and the workers that the jobs and webhook services
// register, makes scheduled work available on time, and keeps nodes honest
// about being alive: every node announces itself in the nodes table and
// renews that record every few seconds; a working node that finds another
// node's record older than the node TTL makes that node's running work
// available again at once, so a dead node stalls nothing for long while work
// on a live node is never taken. River's own stuck-job rescue stays as the
// last resort.
//
// Nothing else in trawl builds a River client or writes River's tables:
// every such statement is in riversql.go. Transactions enqueue through the
// store (store.Tx.Enqueue), which the engine attaches itself to when it is
// built. A component's life is New, Start, Stop.
package engine
