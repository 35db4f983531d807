CREATE TABLE "events" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"repository_id" integer,
	"request_id" integer,
	"ticket_id" integer,
	"run_id" integer,
	"job_id" text,
	"kind" text NOT NULL,
	"data" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "memories" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"repository_id" integer,
	"kind" text NOT NULL,
	"ref" text NOT NULL,
	"content" text NOT NULL,
	"embedding" vector(768),
	"search" "tsvector" GENERATED ALWAYS AS (to_tsvector('english', content)) STORED,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_calls" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"alias" text NOT NULL,
	"provider" text NOT NULL,
	"model" text NOT NULL,
	"role" text NOT NULL,
	"repository_id" integer,
	"ticket_id" integer,
	"run_id" integer,
	"input_tokens" integer DEFAULT 0 NOT NULL,
	"output_tokens" integer DEFAULT 0 NOT NULL,
	"latency_ms" integer DEFAULT 0 NOT NULL,
	"cost_usd" double precision DEFAULT 0 NOT NULL,
	"outcome" text NOT NULL,
	"error_code" text
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"delivery_id" text NOT NULL,
	"queue" text NOT NULL,
	"payload" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"relayed_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text
);
--> statement-breakpoint
CREATE TABLE "repositories" (
	"id" serial PRIMARY KEY NOT NULL,
	"forge" text NOT NULL,
	"owner" text NOT NULL,
	"name" text NOT NULL,
	"installation_id" bigint,
	"default_branch" text,
	"paused" boolean DEFAULT false NOT NULL,
	"policy_error" text,
	"config_issue_number" integer,
	"dashboard_issue_number" integer,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "requests" (
	"id" serial PRIMARY KEY NOT NULL,
	"repository_id" integer NOT NULL,
	"issue_number" integer NOT NULL,
	"title" text NOT NULL,
	"state" text DEFAULT 'new' NOT NULL,
	"spec_pr_number" integer,
	"spec_path" text,
	"approved_spec_sha" text,
	"approved_by" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "runs" (
	"id" serial PRIMARY KEY NOT NULL,
	"ticket_id" integer NOT NULL,
	"job_id" text NOT NULL,
	"kind" text DEFAULT 'pair' NOT NULL,
	"status" text DEFAULT 'running' NOT NULL,
	"phase" text DEFAULT 'start' NOT NULL,
	"cycle" integer DEFAULT 0 NOT NULL,
	"last_commit" text,
	"checkpoint" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"diagnosis" jsonb,
	"started_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "tickets" (
	"id" serial PRIMARY KEY NOT NULL,
	"request_id" integer,
	"repository_id" integer,
	"issue_number" integer,
	"title" text NOT NULL,
	"description" text DEFAULT '' NOT NULL,
	"acceptance_criteria" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"depends_on" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"likely_files" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"state" text DEFAULT 'backlog' NOT NULL,
	"branch" text,
	"pr_number" integer,
	"blocked_reason" text,
	"escalation" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"forge" text NOT NULL,
	"event" text NOT NULL,
	"action" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "memories" ADD CONSTRAINT "memories_repository_id_repositories_id_fk" FOREIGN KEY ("repository_id") REFERENCES "public"."repositories"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "outbox" ADD CONSTRAINT "outbox_delivery_id_webhook_deliveries_id_fk" FOREIGN KEY ("delivery_id") REFERENCES "public"."webhook_deliveries"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "requests" ADD CONSTRAINT "requests_repository_id_repositories_id_fk" FOREIGN KEY ("repository_id") REFERENCES "public"."repositories"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "runs" ADD CONSTRAINT "runs_ticket_id_tickets_id_fk" FOREIGN KEY ("ticket_id") REFERENCES "public"."tickets"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_request_id_requests_id_fk" FOREIGN KEY ("request_id") REFERENCES "public"."requests"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "tickets" ADD CONSTRAINT "tickets_repository_id_repositories_id_fk" FOREIGN KEY ("repository_id") REFERENCES "public"."repositories"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "events_ticket" ON "events" USING btree ("ticket_id","id");--> statement-breakpoint
CREATE INDEX "events_request" ON "events" USING btree ("request_id","id");--> statement-breakpoint
CREATE INDEX "memories_embedding_hnsw" ON "memories" USING hnsw ("embedding" vector_cosine_ops);--> statement-breakpoint
CREATE INDEX "memories_search" ON "memories" USING gin ("search");--> statement-breakpoint
CREATE INDEX "memories_repository_kind" ON "memories" USING btree ("repository_id","kind");--> statement-breakpoint
CREATE INDEX "model_calls_ticket" ON "model_calls" USING btree ("ticket_id");--> statement-breakpoint
CREATE INDEX "outbox_pending" ON "outbox" USING btree ("id") WHERE "outbox"."relayed_at" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "repositories_forge_owner_name" ON "repositories" USING btree ("forge","owner","name");--> statement-breakpoint
CREATE UNIQUE INDEX "requests_repository_issue" ON "requests" USING btree ("repository_id","issue_number");--> statement-breakpoint
CREATE INDEX "runs_ticket" ON "runs" USING btree ("ticket_id");--> statement-breakpoint
CREATE UNIQUE INDEX "runs_job" ON "runs" USING btree ("job_id");--> statement-breakpoint
CREATE INDEX "tickets_request" ON "tickets" USING btree ("request_id");