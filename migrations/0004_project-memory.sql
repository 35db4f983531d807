CREATE TABLE "memory_state" (
	"repository_id" integer PRIMARY KEY NOT NULL,
	"embedding_model" text,
	"dimensions" integer,
	"embedding_alias" text,
	"code_branch" text,
	"code_commit" text,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
DROP INDEX "memories_embedding_hnsw";--> statement-breakpoint
DROP INDEX "memories_repository_kind";--> statement-breakpoint
-- Hand-added: nothing wrote this table before, and a memory belongs to a repository.
DELETE FROM "memories" WHERE "repository_id" IS NULL;--> statement-breakpoint
ALTER TABLE "memories" ALTER COLUMN "repository_id" SET NOT NULL;--> statement-breakpoint
ALTER TABLE "memories" ALTER COLUMN "embedding" SET DATA TYPE vector;--> statement-breakpoint
ALTER TABLE "memories" ADD COLUMN "metadata" jsonb DEFAULT '{}'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "memories" ADD COLUMN "dimensions" integer;--> statement-breakpoint
-- Hand-added: rows embedded before the column existed say their width.
UPDATE "memories" SET "dimensions" = vector_dims("embedding") WHERE "embedding" IS NOT NULL;--> statement-breakpoint
ALTER TABLE "memories" ADD COLUMN "updated_at" timestamp with time zone DEFAULT now() NOT NULL;--> statement-breakpoint
ALTER TABLE "memory_state" ADD CONSTRAINT "memory_state_repository_id_repositories_id_fk" FOREIGN KEY ("repository_id") REFERENCES "public"."repositories"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "memories_repository_kind_ref" ON "memories" USING btree ("repository_id","kind","ref");--> statement-breakpoint
CREATE INDEX "memories_unembedded" ON "memories" USING btree ("repository_id","id") WHERE "memories"."embedding" is null;--> statement-breakpoint
CREATE INDEX "memories_embedding_768" ON "memories" USING hnsw (("embedding"::vector(768)) vector_cosine_ops) WHERE "memories"."dimensions" = 768;--> statement-breakpoint
CREATE INDEX "memories_repository_kind" ON "memories" USING btree ("repository_id","kind","created_at");