package httpapi

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
)

// Node is one trawl process sharing the database.
type Node struct {
	ID, Role, Host       string
	StartedAt, RenewedAt time.Time
	Age                  time.Duration // since the last renewal
	Alive                bool
}

type nodeBody struct {
	ID        string `json:"id" doc:"The node's name: its host name and a random suffix."`
	Role      string `json:"role" enum:"all,api,worker" doc:"What the node does."`
	Host      string `json:"host"`
	StartedAt string `json:"startedAt" format:"date-time"`
	RenewedAt string `json:"renewedAt" format:"date-time" doc:"When the node last renewed its liveness record (every few seconds)."`
	AgeMs     int64  `json:"ageMs" doc:"Milliseconds since the last renewal, by the database's clock."`
	Alive     bool   `json:"alive" doc:"Whether it renewed within the node TTL. The running work of a node that is not alive is taken back by the others."`
}

type nodesOutput struct {
	Body struct {
		Data []nodeBody `json:"data"`
	}
}

func (s *server) addNodeRoutes(api huma.API) {
	huma.Register(api, s.private(api, huma.Operation{
		OperationID: "list-nodes",
		Method:      http.MethodGet,
		Path:        "/nodes",
		Summary:     "List the nodes",
		Description: "The trawl processes that share this database, live ones first, with the age of their liveness record. A node that stops renewing for the node TTL (TRAWL_NODE_TTL, 15 s) has its running work taken back by a live node.",
		Tags:        []string{"Operations"},
	}), s.listNodes)
}

func (s *server) listNodes(ctx context.Context, _ *struct{}) (*nodesOutput, error) {
	nodes, err := s.nodes(ctx)
	if err != nil {
		return nil, s.errorFor(ctx, err)
	}
	out := &nodesOutput{}
	out.Body.Data = []nodeBody{}
	for _, n := range nodes {
		out.Body.Data = append(out.Body.Data, nodeBody{ID: n.ID, Role: n.Role, Host: n.Host, StartedAt: formatTime(n.StartedAt),
			RenewedAt: formatTime(n.RenewedAt), AgeMs: n.Age.Milliseconds(), Alive: n.Alive})
	}
	return out, nil
}
