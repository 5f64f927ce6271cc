--
-- PostgreSQL database dump
--

\restrict g0JHCror6xdu0WwGptUao203iAKBGuSCGloruzsb9bELhvtO5viNyrQZ6JtGOVs

-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: api_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_tokens (
    id bigint NOT NULL,
    user_id bigint NOT NULL,
    name character varying(100) NOT NULL,
    prefix character varying(16) NOT NULL,
    hash character varying(64) NOT NULL,
    created_at timestamp with time zone,
    last_used_at timestamp with time zone,
    revoked_at timestamp with time zone
);


--
-- Name: api_tokens_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.api_tokens_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: api_tokens_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.api_tokens_id_seq OWNED BY public.api_tokens.id;


--
-- Name: audit_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_events (
    id bigint NOT NULL,
    at timestamp with time zone NOT NULL,
    user_id bigint,
    actor character varying(254),
    action character varying(64) NOT NULL,
    company_id bigint,
    target character varying(254),
    detail character varying(1000),
    remote_ip character varying(64)
);


--
-- Name: audit_events_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.audit_events_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: audit_events_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.audit_events_id_seq OWNED BY public.audit_events.id;


--
-- Name: companies; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.companies (
    id bigint NOT NULL,
    name character varying(200) NOT NULL,
    country character varying(2) NOT NULL,
    org_number character varying(32) NOT NULL,
    active boolean NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);


--
-- Name: companies_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.companies_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: companies_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.companies_id_seq OWNED BY public.companies.id;


--
-- Name: connections; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.connections (
    id bigint NOT NULL,
    company_id bigint NOT NULL,
    connector character varying(32) NOT NULL,
    status character varying(24) NOT NULL,
    external_id character varying(100),
    external_name character varying(200),
    org_number character varying(32),
    scopes character varying(500),
    approved_by character varying(254),
    approved_at timestamp with time zone,
    link_id bigint,
    token_key_id character varying(32),
    token_sealed bytea,
    token_expiry timestamp with time zone,
    refreshed_at timestamp with time zone,
    lease_owner character varying(32),
    lease_until timestamp with time zone,
    last_error character varying(500),
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);


--
-- Name: connections_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.connections_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: connections_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.connections_id_seq OWNED BY public.connections.id;


--
-- Name: consent_links; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.consent_links (
    id bigint NOT NULL,
    company_id bigint NOT NULL,
    connector character varying(32) NOT NULL,
    secret_hash character varying(64) NOT NULL,
    expected_org_number character varying(32) NOT NULL,
    status character varying(16) NOT NULL,
    reason character varying(64),
    detail character varying(500),
    attempt_hash character varying(64),
    created_by_id bigint NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone,
    expires_at timestamp with time zone NOT NULL,
    opened_at timestamp with time zone,
    login_started_at timestamp with time zone,
    finished_at timestamp with time zone
);


--
-- Name: consent_links_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.consent_links_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: consent_links_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.consent_links_id_seq OWNED BY public.consent_links.id;


--
-- Name: fiscal_years; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.fiscal_years (
    id bigint NOT NULL,
    company_id bigint NOT NULL,
    external_id character varying(64) NOT NULL,
    start_date timestamp with time zone NOT NULL,
    end_date timestamp with time zone NOT NULL
);


--
-- Name: fiscal_years_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.fiscal_years_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: fiscal_years_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.fiscal_years_id_seq OWNED BY public.fiscal_years.id;


--
-- Name: job_leases; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.job_leases (
    name character varying(64) NOT NULL,
    lease_owner character varying(32),
    lease_until timestamp with time zone
);


--
-- Name: memberships; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.memberships (
    user_id bigint NOT NULL,
    company_id bigint NOT NULL,
    created_at timestamp with time zone
);


--
-- Name: schema_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.schema_version (
    id bigint NOT NULL,
    version bigint NOT NULL
);


--
-- Name: sync_runs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sync_runs (
    id bigint NOT NULL,
    company_id bigint NOT NULL,
    connection_id bigint NOT NULL,
    "full" boolean,
    status character varying(16) NOT NULL,
    fetched bigint,
    total bigint,
    upserted bigint,
    error character varying(500),
    started_at timestamp with time zone,
    finished_at timestamp with time zone,
    updated_at timestamp with time zone
);


--
-- Name: sync_runs_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.sync_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: sync_runs_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.sync_runs_id_seq OWNED BY public.sync_runs.id;


--
-- Name: sync_states; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sync_states (
    connection_id bigint NOT NULL,
    lease_owner character varying(32),
    lease_until timestamp with time zone,
    synced_through timestamp with time zone,
    next_sync_at timestamp with time zone
);


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id bigint NOT NULL,
    email character varying(254) NOT NULL,
    name character varying(200) NOT NULL,
    role character varying(16) NOT NULL,
    password_hash character varying(200) NOT NULL,
    active boolean NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);


--
-- Name: users_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.users_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: users_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.users_id_seq OWNED BY public.users.id;


--
-- Name: voucher_documents; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.voucher_documents (
    id bigint NOT NULL,
    company_id bigint NOT NULL,
    voucher_id bigint NOT NULL,
    kind character varying(32) NOT NULL,
    external_id character varying(64) NOT NULL,
    file_name character varying(300),
    content_type character varying(100),
    size bigint,
    sha256 character varying(64),
    "position" bigint
);


--
-- Name: voucher_documents_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.voucher_documents_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: voucher_documents_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.voucher_documents_id_seq OWNED BY public.voucher_documents.id;


--
-- Name: vouchers; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.vouchers (
    id bigint NOT NULL,
    company_id bigint NOT NULL,
    external_id character varying(64) NOT NULL,
    fiscal_year_id character varying(64),
    number character varying(64),
    number_key character varying(64),
    series character varying(16),
    date timestamp with time zone NOT NULL,
    text character varying(1000),
    text_key character varying(1000),
    amount bigint,
    type bigint,
    type_name character varying(64),
    source_id character varying(64),
    document_ids character varying(2000),
    has_documents boolean,
    modified_at timestamp with time zone
);


--
-- Name: vouchers_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.vouchers_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: vouchers_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.vouchers_id_seq OWNED BY public.vouchers.id;


--
-- Name: api_tokens id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_tokens ALTER COLUMN id SET DEFAULT nextval('public.api_tokens_id_seq'::regclass);


--
-- Name: audit_events id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_events ALTER COLUMN id SET DEFAULT nextval('public.audit_events_id_seq'::regclass);


--
-- Name: companies id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.companies ALTER COLUMN id SET DEFAULT nextval('public.companies_id_seq'::regclass);


--
-- Name: connections id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.connections ALTER COLUMN id SET DEFAULT nextval('public.connections_id_seq'::regclass);


--
-- Name: consent_links id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.consent_links ALTER COLUMN id SET DEFAULT nextval('public.consent_links_id_seq'::regclass);


--
-- Name: fiscal_years id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fiscal_years ALTER COLUMN id SET DEFAULT nextval('public.fiscal_years_id_seq'::regclass);


--
-- Name: sync_runs id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_runs ALTER COLUMN id SET DEFAULT nextval('public.sync_runs_id_seq'::regclass);


--
-- Name: users id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users ALTER COLUMN id SET DEFAULT nextval('public.users_id_seq'::regclass);


--
-- Name: voucher_documents id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.voucher_documents ALTER COLUMN id SET DEFAULT nextval('public.voucher_documents_id_seq'::regclass);


--
-- Name: vouchers id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.vouchers ALTER COLUMN id SET DEFAULT nextval('public.vouchers_id_seq'::regclass);


--
-- Data for Name: api_tokens; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.api_tokens VALUES (1, 1, 'Nightly export', 'bilag_v7testto', 'ac1ded4604c4b8c3110c691372db323e15833eb349728e668039c896e67fbaf7', '2026-03-02 09:04:00+00', NULL, NULL);


--
-- Data for Name: audit_events; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.audit_events VALUES (1, '2026-03-02 09:00:00+00', 1, 'anna.lindqvist@example.se', 'company_create', 1, 'Fjällbacka Snickeri AB', '', '192.0.2.10');
INSERT INTO public.audit_events VALUES (2, '2026-03-02 09:00:00+00', NULL, 'someone@example.se', 'login_failed', NULL, '', 'unknown email', '192.0.2.99');
INSERT INTO public.audit_events VALUES (3, '2026-03-02 09:02:00+00', NULL, 'anna.lindqvist@example.se', 'connect', 1, 'eaccounting', '', '');
INSERT INTO public.audit_events VALUES (4, '2026-03-02 09:04:00+00', 2, 'bo.ek@example.se', 'document_open', 1, 'hyra-januari.pdf', '', '');


--
-- Data for Name: companies; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.companies VALUES (1, 'Fjällbacka Snickeri AB', 'SE', '556812-3474', true, '2026-03-02 09:00:00+00', '2026-03-02 09:00:00+00');
INSERT INTO public.companies VALUES (2, 'Åre Fjällguide HB', 'SE', '969700-1234', false, '2026-03-02 09:00:00+00', '2026-03-02 09:00:00+00');


--
-- Data for Name: connections; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.connections VALUES (1, 1, 'eaccounting', 'active', '1180442', 'Fjällbacka Snickeri AB', '556812-3474', 'ea:api ea:accounting_readonly offline_access', 'anna.lindqvist@example.se', '2026-03-02 09:02:00+00', 1, '34d30cf710778a3a', '\x5638c77561252b7fe84abe6924d482119b5c23ae1f0c802a2b634e3da109a6a752782113a019cf740d42c5d55630ae844b6d5ee3d8fff24cd2a4a6d7159988488c6605076b659720c478193053741a4ccc5893e659', '2026-03-02 10:02:00+00', NULL, '', NULL, '', '2026-03-02 09:02:00+00', '2026-03-02 09:02:00+00');


--
-- Data for Name: consent_links; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.consent_links VALUES (2, 2, 'eaccounting', 'a6be6a94d55f113ad335fd5ea9da65a608a0c0fa5792fe43b0beabf9beb5ed1f', '969700-1234', 'created', '', '', '', 1, '2026-03-02 09:01:00+00', '2026-03-02 09:01:00+00', '2026-03-05 09:01:00+00', NULL, NULL, NULL);
INSERT INTO public.consent_links VALUES (1, 1, 'eaccounting', 'efb051aeecde2aae54eb195d275321746cb2ad8fc9c61d6627be4ab0e1aa3a0d', '556812-3474', 'connected', '', '', '146afad49736626f1323e6008e8cf84caa7cf4e33876966d28fec3e9c876ae6e', 1, '2026-03-02 09:01:00+00', '2026-03-02 09:02:00+00', '2026-03-05 09:01:00+00', '2026-03-02 09:01:00+00', '2026-03-02 09:01:00+00', '2026-03-02 09:02:00+00');


--
-- Data for Name: fiscal_years; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.fiscal_years VALUES (1, 1, 'fy-2024', '2024-01-01 00:00:00+00', '2024-12-31 00:00:00+00');
INSERT INTO public.fiscal_years VALUES (2, 1, 'fy-2025', '2025-01-01 00:00:00+00', '2025-12-31 00:00:00+00');


--
-- Data for Name: job_leases; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.job_leases VALUES ('refresh', '080d48e0f0d55119', '2026-03-02 09:05:00+00');


--
-- Data for Name: memberships; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.memberships VALUES (2, 1, '2026-03-02 09:00:00+00');


--
-- Data for Name: schema_version; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.schema_version VALUES (1, 7);


--
-- Data for Name: sync_runs; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.sync_runs VALUES (1, 1, 1, true, 'ok', 3, 3, 3, '', '2026-03-02 09:03:00+00', '2026-03-02 09:04:00+00', '2026-03-02 09:04:00+00');


--
-- Data for Name: sync_states; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.sync_states VALUES (1, '', NULL, '2025-02-03 11:00:00+00', NULL);


--
-- Data for Name: users; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.users VALUES (1, 'anna.lindqvist@example.se', 'Anna Lindqvist', 'admin', '$2a$10$7EqJtq98hPqEX7fNZaFWoOHiA5HOJrJe0JrCEUc1mVYI0oK2XKp7e', true, '2026-03-02 09:00:00+00', '2026-03-02 09:00:00+00');
INSERT INTO public.users VALUES (2, 'bo.ek@example.se', 'Bo Ek', 'viewer', '$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy', true, '2026-03-02 09:00:00+00', '2026-03-02 09:00:00+00');


--
-- Data for Name: voucher_documents; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.voucher_documents VALUES (2, 1, 1, 'attachment', 'd-0002', 'kvitto.jpg', 'image/jpeg', 0, '', 1);
INSERT INTO public.voucher_documents VALUES (1, 1, 1, 'attachment', 'd-0001', 'hyra-januari.pdf', 'application/pdf', 48213, 'abababababababababababababababababababababababababababababababab', 0);


--
-- Data for Name: vouchers; Type: TABLE DATA; Schema: public; Owner: -
--

INSERT INTO public.vouchers VALUES (1, 1, '5a8e2c1e-0001', 'fy-2024', 'A 1', 'A1', 'A', '2024-01-15 00:00:00+00', 'Hyra januari', 'hyra januari', 1250000, 1, 'Manual voucher', '', 'd-0001 d-0002', true, '2025-02-03 10:00:00+00');
INSERT INTO public.vouchers VALUES (2, 1, '5a8e2c1e-0002', 'fy-2024', 'A 2', 'A2', 'A', '2024-06-01 00:00:00+00', 'Åkes Öl & Bröd', 'åkes öl & bröd', 34900, 2, 'Supplier invoice', 'inv-77', '', false, '2025-02-03 10:00:00+00');
INSERT INTO public.vouchers VALUES (3, 1, '5a8e2c1e-0003', 'fy-2025', 'B-1', 'B1', 'B', '2025-01-02 00:00:00+00', 'Kontorsmaterial', 'kontorsmaterial', -9900, 0, '', '', '', false, '2025-02-03 11:00:00+00');


--
-- Name: api_tokens_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.api_tokens_id_seq', 1, true);


--
-- Name: audit_events_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.audit_events_id_seq', 4, true);


--
-- Name: companies_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.companies_id_seq', 2, true);


--
-- Name: connections_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.connections_id_seq', 1, true);


--
-- Name: consent_links_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.consent_links_id_seq', 2, true);


--
-- Name: fiscal_years_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.fiscal_years_id_seq', 2, true);


--
-- Name: sync_runs_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.sync_runs_id_seq', 1, true);


--
-- Name: users_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.users_id_seq', 2, true);


--
-- Name: voucher_documents_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.voucher_documents_id_seq', 2, true);


--
-- Name: vouchers_id_seq; Type: SEQUENCE SET; Schema: public; Owner: -
--

SELECT pg_catalog.setval('public.vouchers_id_seq', 3, true);


--
-- Name: api_tokens api_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_tokens
    ADD CONSTRAINT api_tokens_pkey PRIMARY KEY (id);


--
-- Name: audit_events audit_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_events
    ADD CONSTRAINT audit_events_pkey PRIMARY KEY (id);


--
-- Name: companies companies_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.companies
    ADD CONSTRAINT companies_pkey PRIMARY KEY (id);


--
-- Name: connections connections_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.connections
    ADD CONSTRAINT connections_pkey PRIMARY KEY (id);


--
-- Name: consent_links consent_links_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.consent_links
    ADD CONSTRAINT consent_links_pkey PRIMARY KEY (id);


--
-- Name: fiscal_years fiscal_years_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.fiscal_years
    ADD CONSTRAINT fiscal_years_pkey PRIMARY KEY (id);


--
-- Name: job_leases job_leases_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.job_leases
    ADD CONSTRAINT job_leases_pkey PRIMARY KEY (name);


--
-- Name: memberships memberships_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.memberships
    ADD CONSTRAINT memberships_pkey PRIMARY KEY (user_id, company_id);


--
-- Name: schema_version schema_version_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.schema_version
    ADD CONSTRAINT schema_version_pkey PRIMARY KEY (id);


--
-- Name: sync_runs sync_runs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_runs
    ADD CONSTRAINT sync_runs_pkey PRIMARY KEY (id);


--
-- Name: sync_states sync_states_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sync_states
    ADD CONSTRAINT sync_states_pkey PRIMARY KEY (connection_id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: voucher_documents voucher_documents_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.voucher_documents
    ADD CONSTRAINT voucher_documents_pkey PRIMARY KEY (id);


--
-- Name: vouchers vouchers_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.vouchers
    ADD CONSTRAINT vouchers_pkey PRIMARY KEY (id);


--
-- Name: idx_api_tokens_hash; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX idx_api_tokens_hash ON public.api_tokens USING btree (hash);


--
-- Name: idx_api_tokens_user_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_api_tokens_user_id ON public.api_tokens USING btree (user_id);


--
-- Name: idx_audit_events_action; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_audit_events_action ON public.audit_events USING btree (action);


--
-- Name: idx_audit_events_at; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_audit_events_at ON public.audit_events USING btree (at);


--
-- Name: idx_audit_events_company_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_audit_events_company_id ON public.audit_events USING btree (company_id);


--
-- Name: idx_audit_events_user_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_audit_events_user_id ON public.audit_events USING btree (user_id);


--
-- Name: idx_company_org; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX idx_company_org ON public.companies USING btree (org_number);


--
-- Name: idx_conn_company_connector; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX idx_conn_company_connector ON public.connections USING btree (company_id, connector);


--
-- Name: idx_connections_token_expiry; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_connections_token_expiry ON public.connections USING btree (token_expiry);


--
-- Name: idx_consent_links_company_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_consent_links_company_id ON public.consent_links USING btree (company_id);


--
-- Name: idx_consent_links_secret_hash; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX idx_consent_links_secret_hash ON public.consent_links USING btree (secret_hash);


--
-- Name: idx_fy_ext; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX idx_fy_ext ON public.fiscal_years USING btree (company_id, external_id);


--
-- Name: idx_memberships_company_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_memberships_company_id ON public.memberships USING btree (company_id);


--
-- Name: idx_sync_runs_company_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_sync_runs_company_id ON public.sync_runs USING btree (company_id);


--
-- Name: idx_sync_runs_connection_id; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_sync_runs_connection_id ON public.sync_runs USING btree (connection_id);


--
-- Name: idx_users_email; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX idx_users_email ON public.users USING btree (email);


--
-- Name: idx_vdoc; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX idx_vdoc ON public.voucher_documents USING btree (company_id, voucher_id, kind, external_id);


--
-- Name: idx_voucher_date; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_voucher_date ON public.vouchers USING btree (company_id, date);


--
-- Name: idx_voucher_docs_date; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_voucher_docs_date ON public.vouchers USING btree (has_documents);


--
-- Name: idx_voucher_ext; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX idx_voucher_ext ON public.vouchers USING btree (company_id, external_id);


--
-- Name: idx_voucher_fy_date; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_voucher_fy_date ON public.vouchers USING btree (company_id, fiscal_year_id, date);


--
-- Name: idx_voucher_number_date; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX idx_voucher_number_date ON public.vouchers USING btree (company_id, number_key, date);


--
-- PostgreSQL database dump complete
--

\unrestrict g0JHCror6xdu0WwGptUao203iAKBGuSCGloruzsb9bELhvtO5viNyrQZ6JtGOVs

